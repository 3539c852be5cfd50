package retrieval

import (
	"slices"
	"strings"
)

// irregularVerbs are English verbs whose past forms Porter2 cannot bring
// to the base form's stem ("kept" is not "keep", "began" not "begin"):
// base, past and past participle, space-separated. A question asking how
// long samples are "kept" should find the passage that "keeps" them.
// Forms that are also everyday nouns, adjectives or names of their own
// ("found", "left", "saw", "felt", "lay", "rose", "fell", "ground",
// "bound", "spoke", "wound", "lead", "meant"), and the forms of the
// commonest verbs (be, do, have, get, go, make, say, see, come, run,
// show), are left out (ambiguousForms), so that matching stays literal
// for them.
//
// (English irregular verbs, from any grammar; not a library: the
// lemmatizers on offer, such as golem's English pack, take about 54 ms
// to load, more than a one-shot `footnote ask` spends answering.)
var irregularVerbs = []string{
	"arise arose arisen", "awake awoke awoken",
	"beat beat beaten", "become became become", "begin began begun", "bend bent bent",
	"bet bet bet", "bid bid bid", "bind bound bound", "bite bit bitten", "bleed bled bled",
	"blow blew blown", "break broke broken", "breed bred bred", "bring brought brought",
	"broadcast broadcast broadcast", "build built built", "burn burnt burnt", "buy bought bought",
	"catch caught caught", "choose chose chosen", "cling clung clung", "come came come",
	"creep crept crept", "deal dealt dealt", "dig dug dug", "do did done", "draw drew drawn",
	"dream dreamt dreamt", "drink drank drunk", "drive drove driven", "eat ate eaten",
	"feed fed fed", "fight fought fought", "find found found", "flee fled fled", "fling flung flung",
	"fly flew flown", "forbid forbade forbidden", "forecast forecast forecast",
	"foresee foresaw foreseen", "forget forgot forgotten", "forgive forgave forgiven",
	"freeze froze frozen", "get got gotten", "give gave given", "go went gone", "grind ground ground",
	"grow grew grown", "hang hung hung", "have had had", "hear heard heard", "hide hid hidden",
	"hold held held", "keep kept kept", "kneel knelt knelt", "know knew known", "lay laid laid",
	"lead led led", "lean leant leant", "leap leapt leapt", "learn learnt learnt", "leave left left",
	"lend lent lent", "lie lay lain", "light lit lit", "lose lost lost", "make made made",
	"mean meant meant", "meet met met", "mislead misled misled", "mistake mistook mistaken",
	"overcome overcame overcome", "override overrode overridden", "overrun overran overrun",
	"oversee oversaw overseen", "overtake overtook overtaken", "overthrow overthrew overthrown",
	"overwrite overwrote overwritten", "pay paid paid", "prove proved proven", "rebuild rebuilt rebuilt",
	"redo redid redone", "remake remade remade", "rerun reran rerun",
	"rewrite rewrote rewritten", "ride rode ridden", "ring rang rung", "rise rose risen",
	"run ran run", "say said said", "see saw seen", "seek sought sought", "sell sold sold",
	"send sent sent", "shake shook shaken", "shine shone shone", "shoot shot shot",
	"show showed shown", "shrink shrank shrunk", "sing sang sung", "sink sank sunk", "sit sat sat",
	"slay slew slain", "sleep slept slept", "slide slid slid", "speak spoke spoken",
	"speed sped sped", "spend spent spent", "spin spun spun", "spit spat spat", "spring sprang sprung",
	"stand stood stood", "steal stole stolen", "stick stuck stuck", "sting stung stung",
	"stink stank stunk", "stride strode stridden", "strike struck stricken", "string strung strung",
	"strive strove striven", "swear swore sworn", "sweep swept swept", "swim swam swum",
	"swing swung swung", "take took taken", "teach taught taught", "tear tore torn",
	"tell told told", "think thought thought", "throw threw thrown", "tread trod trodden",
	"undergo underwent undergone", "understand understood understood", "undertake undertook undertaken",
	"undo undid undone", "unwind unwound unwound", "uphold upheld upheld", "wake woke woken",
	"wear wore worn", "weave wove woven", "weep wept wept", "win won won", "wind wound wound",
	"withdraw withdrew withdrawn", "withhold withheld withheld", "withstand withstood withstood",
	"write wrote written",
}

// ambiguousForms are irregular forms that are also everyday nouns or
// adjectives (see irregularVerbs): never conflated.
var ambiguousForms = map[string]bool{
	"found": true, "left": true, "saw": true, "felt": true, "lay": true, "rose": true, "fell": true,
	"ground": true, "bound": true, "spoke": true, "wound": true, "lead": true, "meant": true,
	"bore": true, "lit": true, "shot": true, "stuck": true, "tore": true, "won": true, "bit": true,
	"wind": true, "light": true, "lie": true, "sat": true, "bet": true, "bid": true, "string": true,
	"ring": true, "spring": true, "do": true,
	"did": true, "done": true, "have": true, "had": true, "got": true, "go": true, "went": true,
	"gone": true, "made": true, "make": true, "said": true, "say": true, "see": true, "seen": true,
	"get": true, "come": true, "came": true, "run": true, "ran": true, "mean": true, "show": true,
}

// irregularStems maps the Porter2 stem of each form of irregularVerbs to
// the stems of the other forms of its verb, where they differ: the index
// and Derived work on stems. It is irregularStemTable, which
// buildIrregularStems wrote: stemming the ~350 forms took 0.8 ms of every
// one-shot 'ask'. TestIrregularStemTable checks that they agree.
func irregularStems() map[string][]string { return irregularStemTable }

// buildIrregularStems computes irregularStems' map. A form whose stem is
// an ambiguous form's ("showed" is "show") is left out too.
func buildIrregularStems() map[string][]string {
	ambiguous := map[string]bool{}
	for f := range ambiguousForms {
		ambiguous[Stem(f)] = true
	}
	m := map[string][]string{}
	for _, line := range irregularVerbs {
		var stems []string
		for _, f := range strings.Fields(line) {
			if t := Stem(f); !ambiguousForms[f] && !ambiguous[t] && !slices.Contains(stems, t) {
				stems = append(stems, t)
			}
		}
		for _, t := range stems {
			for _, u := range stems {
				if u != t && !slices.Contains(m[t], u) {
					m[t] = append(m[t], u)
				}
			}
		}
	}
	return m
}
