#!/usr/bin/python3
"""The Xapian peer of bench -whole: BM25 (k1 1.2, b 0.75), English stemmer.

  xapian_peer.py index PASSAGES.jsonl DB     passages as {"doc","title","text"} lines
  xapian_peer.py search DB QUERIES K         BEIR queries.jsonl, or "query:TEXT"
  xapian_peer.py latency DB QUERIES          in-process ranking time per query

search prints a TREC run, documents ranked by their best passage, as the
other engines' runs are. Needs Debian's python3-xapian.
"""
import json
import sys
import time

import xapian


def index(src, db_path):
    db = xapian.WritableDatabase(db_path, xapian.DB_CREATE_OR_OVERWRITE)
    tg = xapian.TermGenerator()
    tg.set_stemmer(xapian.Stem("english"))
    tg.set_stemming_strategy(xapian.TermGenerator.STEM_ALL)
    with open(src, encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            d = xapian.Document()
            tg.set_document(d)
            tg.index_text(p["title"], 2)  # the title counts twice
            tg.index_text(p["text"])
            d.set_data(p["doc"])
            db.add_document(d)
    db.commit()
    db.close()


def read_queries(queries):
    if queries.startswith("query:"):
        qs = [("1", queries[len("query:"):])]
    else:
        qs = []
        with open(queries, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    q = json.loads(line)
                    qs.append((q.get("_id") or q.get("id"), q["text"]))
    return qs


def open_db(db_path):
    db = xapian.Database(db_path)
    enq = xapian.Enquire(db)
    enq.set_weighting_scheme(xapian.BM25Weight(1.2, 0, 1, 0.75, 0.5))
    qp = xapian.QueryParser()
    qp.set_stemmer(xapian.Stem("english"))
    qp.set_stemming_strategy(xapian.QueryParser.STEM_ALL)
    qp.set_default_op(xapian.Query.OP_OR)
    return enq, qp


def words_of(text):
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def search(db_path, queries, k):
    qs = read_queries(queries)
    enq, qp = open_db(db_path)
    out = sys.stdout
    for qid, text in qs:
        words = words_of(text)
        if not words:
            continue
        enq.set_query(qp.parse_query(words))
        seen, rank = set(), 0
        for m in enq.get_mset(0, 2 * k):
            doc = m.document.get_data().decode()
            if doc in seen:
                continue
            seen.add(doc)
            rank += 1
            out.write(f"{qid} Q0 {doc} {rank} {m.weight:.4f} xapian\n")
            if rank == k:
                break


def latency(db_path, queries):
    """Times query parsing and the top 10 passages (get_mset) per query,
    after a warm-up pass, and prints p50 and p99 in nanoseconds. The words
    are split out before the clock starts (footnote's time includes its
    own tokenizing)."""
    enq, qp = open_db(db_path)
    texts = [w for w in (words_of(t) for _, t in read_queries(queries)) if w]

    def rank(words):
        enq.set_query(qp.parse_query(words))
        return enq.get_mset(0, 10)

    for words in texts:
        rank(words)
    lat = []
    for words in texts:
        t = time.perf_counter_ns()
        rank(words)
        lat.append(time.perf_counter_ns() - t)
    lat.sort()
    print(lat[len(lat) * 50 // 100], lat[min(len(lat) - 1, len(lat) * 99 // 100)])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "index":
        index(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "search":
        search(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == "latency":
        latency(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
