package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/footnote-bot/footnote/internal/discordtest"
	"github.com/footnote-bot/footnote/internal/servicetest"
)

// Guilds on shard 0 and shard 1 of two (Discord routes a guild to shard
// (id >> 22) % shards).
const (
	guildShard0 = "1200000000000000000"
	guildShard1 = "1200000000004194304" // + 1<<22
)

// TestFakeDiscordProcess is not a test on its own: TestTwoShardProcesses
// runs the test binary again with FOOTNOTE_FAKE_DISCORD=1 to serve the fake
// Discord from a process of its own. It prints the API URL and a control
// URL, then serves until its stdin closes.
func TestFakeDiscordProcess(t *testing.T) {
	if os.Getenv("FOOTNOTE_FAKE_DISCORD") != "1" {
		// Not a test: the helper process TestTwoShardProcesses starts
		// (the os/exec tests' pattern), so it passes trivially elsewhere.
		return
	}
	d := discordtest.New(t, discordtest.Options{HeartbeatInterval: time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	// POST /ask {shard, guild, user, id, question}: dispatch an /ask and
	// return the bot's first reply to it (callback or follow-up body).
	mux.HandleFunc("/ask", func(w http.ResponseWriter, r *http.Request) {
		var q struct {
			Shard                     int
			Guild, User, ID, Question string
		}
		if err := json.NewDecoder(r.Body).Decode(&q); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		d.DispatchShard(q.Shard, "INTERACTION_CREATE", discordtest.AskInGuild(q.Guild, q.ID, "tok-"+q.ID, q.User, q.Question))
		c, ok := d.WaitCall(20*time.Second, func(c discordtest.Call) bool {
			return (strings.Contains(c.Path, "/interactions/"+q.ID+"/") && strings.HasSuffix(c.Path, "/callback") && !strings.Contains(string(c.Body), `"type":5`)) ||
				(strings.Contains(c.Path, "/webhooks/") && strings.Contains(c.Path, "tok-"+q.ID))
		})
		if !ok {
			http.Error(w, "no reply", http.StatusGatewayTimeout)
			return
		}
		w.Write(c.Body)
	})
	mux.HandleFunc("/identified", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(d.Identifies())
	})
	mux.HandleFunc("/calls", func(w http.ResponseWriter, r *http.Request) {
		var out []string
		for _, c := range d.Calls() {
			out = append(out, c.Method+" "+c.Path)
		}
		json.NewEncoder(w).Encode(out)
	})
	go http.Serve(ln, mux)
	fmt.Printf("api %s\ncontrol http://%s\n", d.APIURL(), ln.Addr())
	io.Copy(io.Discard, os.Stdin) // until the parent closes our stdin
}

func TestTwoShardProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds footnote and runs three processes")
	}
	redisURL := servicetest.RedisURL(t)
	dbURL := servicetest.DatabaseURL(t)
	ctx := context.Background()
	dir := t.TempDir()

	// The fake Discord, as its own process.
	fake := exec.Command(os.Args[0], "-test.run=^TestFakeDiscordProcess$", "-test.v")
	fake.Env = append(os.Environ(), "FOOTNOTE_FAKE_DISCORD=1")
	stdin, _ := fake.StdinPipe()
	out, _ := fake.StdoutPipe()
	fake.Stderr = os.Stderr
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); fake.Wait() })
	var apiURL, control string
	sc := bufio.NewScanner(out)
	for (apiURL == "" || control == "") && sc.Scan() {
		line := sc.Text()
		if strings.Contains(line, "no test files") || strings.HasPrefix(line, "--- SKIP") {
			t.Fatalf("fake Discord did not start: %s", line)
		}
		if v, ok := strings.CutPrefix(line, "api "); ok {
			apiURL = v
		}
		if v, ok := strings.CutPrefix(line, "control "); ok {
			control = v
		}
	}
	if control == "" {
		t.Fatal("fake Discord printed no URLs")
	}
	go io.Copy(io.Discard, out)

	// footnote, built once, run as shard 0 and shard 1 of two.
	bin := filepath.Join(dir, "footnote")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	start := func(shard int) *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = append(os.Environ(), "DISCORD_TOKEN="+discordtest.Token, "FOOTNOTE_DISCORD_API_URL="+apiURL,
			fmt.Sprintf("FOOTNOTE_SHARD_ID=%d", shard), "FOOTNOTE_SHARD_COUNT=2",
			"FOOTNOTE_REDIS_URL="+redisURL, "FOOTNOTE_DATABASE_URL="+dbURL, "FOOTNOTE_COOLDOWN=1m",
			"FOOTNOTE_DATA_DIR="+filepath.Join(dir, fmt.Sprint("data", shard)), "FOOTNOTE_WATCH=false")
		logf, _ := os.Create(filepath.Join(dir, fmt.Sprintf("shard%d.log", shard)))
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			if t.Failed() {
				b, _ := os.ReadFile(logf.Name())
				t.Logf("shard %d log:\n%s", shard, b)
			}
		})
		return cmd
	}
	shard0, _ := start(0), start(1)

	// Both shards identify, each with its own shard.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var ids []map[string]any
		getJSON(t, control+"/identified", &ids)
		seen := map[string]bool{}
		for _, id := range ids {
			seen[fmt.Sprint(id["shard"])] = true
		}
		if seen["[0 2]"] && seen["[1 2]"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shards did not both identify: %v", ids)
		}
		time.Sleep(100 * time.Millisecond)
	}

	ask := func(shard int, guild, user, id, q string) string {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"Shard": shard, "Guild": guild, "User": user, "ID": id, "Question": q})
		resp, err := http.Post(control+"/ask", "application/json", strings.NewReader(string(body)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("ask %s on shard %d: %s %s", id, shard, resp.Status, b)
		}
		return string(b)
	}
	const q = "How do I add an article?"
	// User IDs of this run only: cooldowns live in the shared Redis.
	base := 1500000000000000000 + time.Now().UnixNano()%1000000000*100
	alice, bob, carol := fmt.Sprint(base+1), fmt.Sprint(base+2), fmt.Sprint(base+3)
	// Alice asks through shard 0: answered with citations.
	if r := ask(0, guildShard0, alice, "1600000000000000001", q); !strings.Contains(r, "Sources") && !strings.Contains(r, "[1]") {
		t.Fatalf("shard 0 did not answer: %s", r)
	}
	// Alice again, in a guild on shard 1: her cooldown (in Redis) holds.
	if r := ask(1, guildShard1, alice, "1600000000000000002", q); !strings.Contains(r, "asking quickly") {
		t.Fatalf("shard 1 ignored the cooldown set through shard 0: %s", r)
	}
	// Bob on shard 1: answered (from the answer cache shard 0 filled).
	if r := ask(1, guildShard1, bob, "1600000000000000003", q); !strings.Contains(r, "[1]") {
		t.Fatalf("shard 1 did not answer: %s", r)
	}
	// Only shard 0 registered the commands.
	var calls []string
	getJSON(t, control+"/calls", &calls)
	registered := 0
	for _, c := range calls {
		if strings.HasPrefix(c, "PUT ") && strings.HasSuffix(c, "/commands") {
			registered++
		}
	}
	if registered != 1 {
		t.Errorf("commands registered %d times, want once (by shard 0)", registered)
	}
	// Both processes' answers are in the one question log.
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func() map[string]int {
		rows, err := db.QueryContext(ctx, `SELECT guild, COUNT(*) FROM questions GROUP BY guild`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var g string
			var n int
			rows.Scan(&g, &n)
			m[g] = n
		}
		return m
	}
	if m := count(); m[guildShard0] != 1 || m[guildShard1] != 1 {
		t.Errorf("question log per guild = %v, want one answered question from each shard", m)
	}
	// Kill shard 0: shard 1 keeps answering its guilds.
	shard0.Process.Kill()
	shard0.Wait()
	if r := ask(1, guildShard1, carol, "1600000000000000004", "Which intents does footnote need?"); !strings.Contains(r, "[1]") {
		t.Fatalf("shard 1 stopped answering after shard 0 died: %s", r)
	}
	if m := count(); m[guildShard1] != 2 {
		t.Errorf("question log per guild after the kill = %v", m)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// footnote index --to weaviate loads the collection (twice: no
// duplicates), then eval and ask with retriever weaviate search it.
func TestIndexToWeaviateThenEvalAndAsk(t *testing.T) {
	url := servicetest.WeaviateURL(t)
	corpusFile, queries, qrels := tinyCollection(t)
	env := map[string]string{"FOOTNOTE_WEAVIATE_URL": url, "FOOTNOTE_WEAVIATE_COLLECTION": servicetest.Name("Cli")}
	for range 2 {
		out, _, err := runCLI(t, env, "index", "--corpus", corpusFile, "--to", "weaviate")
		if err != nil || !strings.Contains(out, "(3 passages there)") {
			t.Fatalf("index --to weaviate: %v\n%s", err, out)
		}
	}
	env["FOOTNOTE_RETRIEVER"] = "weaviate"
	out, _, err := runCLI(t, env, "eval", "--corpus", corpusFile, "--queries", queries, "--qrels", qrels)
	if err != nil {
		t.Fatal(err)
	}
	// The same ranking as the embedded index (TestTrecRunAndEval).
	if !strings.Contains(out, "nDCG@10     0.8801") || !strings.Contains(out, "weaviate retriever") {
		t.Errorf("eval on Weaviate:\n%s", out)
	}
	out, _, err = runCLI(t, env, "ask", "--corpus", corpusFile, "--json", "Do dogs bark?")
	if err != nil || !strings.Contains(out, `"passage_id": "b#1"`) {
		t.Errorf("ask on Weaviate: %v\n%s", err, out)
	}
	if _, _, err := runCLI(t, map[string]string{"FOOTNOTE_WEAVIATE_URL": url}, "index", "--corpus", corpusFile, "--to", "elastic"); err == nil {
		t.Error("--to elastic accepted")
	}
}
