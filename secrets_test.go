package main

import (
	"strings"
	"testing"
)

// TestConfigAndErrorsRedactURLPasswords: `footnote config` shows the three
// configured URLs without their passwords, and an unreachable Weaviate is
// named in the error without its password.
func TestConfigAndErrorsRedactURLPasswords(t *testing.T) {
	env := map[string]string{
		"FOOTNOTE_LLM_BASE_URL":    "https://llm-user:llm-password@llm.example/v1",
		"FOOTNOTE_LLM_MODEL":       "m",
		"FOOTNOTE_DISCORD_API_URL": "https://proxy-user:discord-password@proxy.example/api/v10",
		"FOOTNOTE_RETRIEVER":       "weaviate",
		"FOOTNOTE_WEAVIATE_URL":    "http://wv:weaviate-password@" + freeAddr(t),
	}
	out, errOut, err := runCLI(t, env, "config")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"https://llm-user:xxxxx@llm.example/v1", "https://proxy-user:xxxxx@proxy.example/api/v10", "http://wv:xxxxx@127.0.0.1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
	q, r := writeQueries(t)
	_, evalErr, err := runCLI(t, env, "eval", "--queries", q, "--qrels", r)
	if err == nil || !strings.Contains(err.Error(), "wv:xxxxx@127.0.0.1") {
		t.Errorf("eval against an unreachable Weaviate: %v", err)
	}
	all := out + errOut + evalErr
	if err != nil {
		all += err.Error()
	}
	for _, pw := range []string{"llm-password", "discord-password", "weaviate-password"} {
		if strings.Contains(all, pw) {
			t.Errorf("%q printed:\n%s", pw, all)
		}
	}
}

func writeQueries(t *testing.T) (queries, qrels string) {
	t.Helper()
	_, queries, qrels = tinyCollection(t)
	return queries, qrels
}
