package config

import (
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "footnote.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPrecedence(t *testing.T) {
	file := writeFile(t, "top_k: 3\ncooldown: 9s\nlog_level: warn\nllm_model: from-file\nllm_base_url: http://file\n")
	env := envOf(map[string]string{"FOOTNOTE_TOP_K": "4", "FOOTNOTE_COOLDOWN": "7s"})
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	_, apply := Flags(fs)
	if err := fs.Parse([]string{"--top-k", "6"}); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file, env, apply)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"flag beats env and file", c.TopK, 6},
		{"env beats file", c.Cooldown, 7 * time.Second},
		{"file beats default", c.LogLevel, "warn"},
		{"default", c.GuildConcurrency, 4},
	}
	for _, tt := range tests {
		if fmt.Sprint(tt.got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func TestEnvAliases(t *testing.T) {
	c, err := Load("", envOf(map[string]string{"DISCORD_TOKEN": "tok-a", "OPENAI_API_KEY": "sk-b", "FOOTNOTE_CORPUS": "a,b:c"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.DiscordToken.Reveal() != "tok-a" || c.LLMAPIKey.Reveal() != "sk-b" || strings.Join(c.Corpus, "|") != "a|b|c" {
		t.Errorf("c = %+v", c)
	}
	c, _ = Load("", envOf(map[string]string{"FOOTNOTE_LLM_API_KEY": "sk-own", "OPENAI_API_KEY": "sk-b", "FOOTNOTE_DISCORD_TOKEN": "tok-2"}), nil)
	if c.LLMAPIKey.Reveal() != "sk-own" || c.DiscordToken.Reveal() != "tok-2" {
		t.Errorf("FOOTNOTE_ names should win or stand in: %q %q", c.LLMAPIKey.Reveal(), c.DiscordToken.Reveal())
	}
}

func TestValidationErrors(t *testing.T) {
	tests := []struct {
		env  map[string]string
		file string
		want string
	}{
		{map[string]string{"FOOTNOTE_COOLDOWN": "soon"}, "", "FOOTNOTE_COOLDOWN: want a duration"},
		{map[string]string{"FOOTNOTE_TOP_K": "-1"}, "", "setting top_k: -1 is out of range (1-20)"},
		{map[string]string{"FOOTNOTE_LLM_MODEL": "gpt"}, "", "setting llm_model: set without llm_base_url"},
		{map[string]string{"FOOTNOTE_LLM_BASE_URL": "ftp://x", "FOOTNOTE_LLM_MODEL": "m"}, "", "setting llm_base_url"},
		{map[string]string{"FOOTNOTE_LOG_LEVEL": "loud"}, "", "not one of debug, info, warn, error"},
		{map[string]string{"FOOTNOTE_SHARD_ID": "2", "FOOTNOTE_SHARD_COUNT": "2"}, "", "setting shard_id: 2 is out of range"},
		{map[string]string{"FOOTNOTE_MESSAGE_CONTENT": "maybe"}, "", "want true or false"},
		{map[string]string{"FOOTNOTE_SHARD_COUNT": "many"}, "", "FOOTNOTE_SHARD_COUNT: want a whole number"},
		{map[string]string{"FOOTNOTE_RETRIEVER": "weaviate"}, "", "setting weaviate_url"},
		{map[string]string{"FOOTNOTE_RETRIEVER": "elastic"}, "", `"elastic" is not embedded or weaviate`},
		{map[string]string{"FOOTNOTE_WEAVIATE_COLLECTION": "my-passages"}, "", "setting weaviate_collection"},
		{map[string]string{"FOOTNOTE_REDIS_URL": "localhost:6379"}, "", "setting redis_url"},
		{map[string]string{"FOOTNOTE_DATABASE_URL": "mysql://x"}, "", "setting database_url"},
		{nil, "guilds:\n  \"123\":\n    allowed_channel: [\"1\"]\n", "field allowed_channel not found"},
		{nil, "guilds:\n  general:\n    cooldown: 1s\n", `key "general" is not a Discord guild ID`},
		{nil, "colour: blue\n", `unknown setting "colour"`},
		{nil, "top_k: [1, 2\n", "config file"},
		{nil, "sources:\n  - url: ftp://docs.example.org/\n", `setting sources[0].url: "ftp://docs.example.org/" is not an http or https address`},
		{nil, "sources:\n  - url: https://bot:hunter2@docs.example.org/\n", "sources[0].url: must not carry a user name or password"},
		{nil, "sources:\n  - url: https://docs.example.org/\n    refresh: 5s\n", "sources[0].refresh: must be at least 1m"},
		{nil, "sources:\n  - url: https://docs.example.org/\n    pages: 3\n", "field pages not found"},
		{nil, "guilds:\n  \"123\":\n    sources:\n      - url: docs\n", "setting guilds.123.sources[0].url"},
		{map[string]string{"FOOTNOTE_CRAWL_RATE": "0"}, "", "setting crawl_rate: must be above 0"},
		{map[string]string{"FOOTNOTE_CRAWL_CONCURRENCY": "100"}, "", "setting crawl_concurrency: must be 1 to 16"},
	}
	for _, tt := range tests {
		path := ""
		if tt.file != "" {
			path = writeFile(t, tt.file)
		}
		_, err := Load(path, envOf(tt.env), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("env %v file %q: err = %v, want it to contain %q", tt.env, tt.file, err, tt.want)
		}
	}
}

func TestGuildsFromFile(t *testing.T) {
	c, err := Load(writeFile(t, "cooldown: 2s\nguilds:\n  \"111\":\n    allowed_channels: [\"222\"]\n    cooldown: 30s\n    admin_roles: [\"333\"]\n"), envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	g := c.Guilds["111"]
	if len(g.AllowedChannels) != 1 || g.AllowedChannels[0] != "222" || g.AdminRoles[0] != "333" {
		t.Errorf("guild = %+v", g)
	}
	if c.CooldownFor("111") != 30*time.Second || c.CooldownFor("999") != 2*time.Second {
		t.Errorf("cooldowns %s %s", c.CooldownFor("111"), c.CooldownFor("999"))
	}
}

func TestSourcesFromFile(t *testing.T) {
	c, err := Load(writeFile(t, `sources:
  - url: https://docs.example.org/sitemap.xml
    exclude: ["/blog/**"]
    refresh: 6h
guilds:
  "111":
    sources:
      - url: https://wiki.example.org/team/
        include: ["/team/**"]
        max_pages: 300
`), envOf(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sources) != 1 || c.Sources[0].URL != "https://docs.example.org/sitemap.xml" || c.Sources[0].Refresh != 6*time.Hour || c.Sources[0].Exclude[0] != "/blog/**" {
		t.Errorf("sources = %+v", c.Sources)
	}
	g := c.Guilds["111"].Sources
	if len(g) != 1 || g[0].MaxPages != 300 || g[0].Include[0] != "/team/**" {
		t.Errorf("server sources = %+v", g)
	}
	if c.CrawlRate != 2 || c.CrawlConcurrency != 2 || c.SourceRefresh != 24*time.Hour {
		t.Errorf("crawl defaults %g/s, %d at once, every %s; want 2, 2, 24h", c.CrawlRate, c.CrawlConcurrency, c.SourceRefresh)
	}
	if d := c.Dump(); !strings.Contains(d, "guilds.111.sources = url=https://wiki.example.org/team/") || !strings.Contains(d, "refresh=6h0m0s") {
		t.Errorf("dump does not list the sources:\n%s", d)
	}
}

func TestShardCountAuto(t *testing.T) {
	c, err := Load("", envOf(map[string]string{"FOOTNOTE_SHARD_COUNT": "auto", "FOOTNOTE_SHARD_ID": "3"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.ShardCount != ShardAuto || c.ShardID != 3 || !strings.Contains(c.Dump(), "shard_count        = auto") {
		t.Errorf("shard_count auto: %d, dump:\n%s", c.ShardCount, c.Dump())
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c, err := Load(writeFile(t, "llm_api_key: sk-file-secret\n"), envOf(map[string]string{"DISCORD_TOKEN": "discord-secret-token",
		"FOOTNOTE_REDIS_URL": "redis://:redis-secret@h:6379/0", "FOOTNOTE_DATABASE_URL": "postgres://u:pg-secret@h/db",
		"FOOTNOTE_LLM_BASE_URL": "https://llm-user:llm-url-secret@llm.example/v1", "FOOTNOTE_LLM_MODEL": "m",
		"FOOTNOTE_DISCORD_API_URL": "https://proxy-user:discord-url-secret@proxy.example/api/v10",
		"FOOTNOTE_RETRIEVER":       "weaviate", "FOOTNOTE_WEAVIATE_URL": "http://wv:weaviate-url-secret@weaviate:8080"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("config", "token", c.DiscordToken, "cfg", c)
	slog.New(slog.NewTextHandler(&logs, nil)).Info("config", "key", c.LLMAPIKey)
	outputs := []string{c.Dump(), fmt.Sprintf("%v %+v %#v %s", c, c, c, c.DiscordToken), logs.String()}
	for _, out := range outputs {
		for _, secret := range []string{"sk-file-secret", "discord-secret-token", "redis-secret", "pg-secret", "llm-url-secret", "discord-url-secret", "weaviate-url-secret"} {
			if strings.Contains(out, secret) {
				t.Errorf("secret %q printed in:\n%s", secret, out)
			}
		}
	}
	if !strings.Contains(c.Dump(), "discord_token      = [redacted]") {
		t.Errorf("dump should show redacted secrets:\n%s", c.Dump())
	}
	// Secrets are not flags: they would show in ps.
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	Flags(fs)
	if fs.Lookup("discord-token") != nil || fs.Lookup("llm-api-key") != nil {
		t.Error("a secret is settable by flag")
	}
}

func TestRepeatedCorpusFlag(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	_, apply := Flags(fs)
	fs.Parse([]string{"--corpus", "a", "--corpus", "b"})
	c, err := Load("", envOf(map[string]string{"FOOTNOTE_CORPUS": "env"}), apply)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Corpus, ",") != "a,b" {
		t.Errorf("corpus = %v (flags replace env)", c.Corpus)
	}
}

// TestREADMEListsEverySetting keeps README's settings table in step with
// Settings(); run with -update-readme to regenerate it.
func TestREADMEListsEverySetting(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Skip("README.md not found")
	}
	table := SettingsTable()
	start, end := "<!-- settings-table:start -->\n", "<!-- settings-table:end -->"
	s := string(data)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatal("README lacks the settings-table markers")
	}
	current := s[i+len(start) : j]
	if *updateReadme {
		os.WriteFile("../README.md", []byte(s[:i+len(start)]+table+s[j:]), 0o644)
		return
	}
	if current != table {
		t.Errorf("README settings table is stale; run: go test ./config -run README -update-readme")
	}
}

var updateReadme = flag.Bool("update-readme", false, "rewrite README's settings table")

// TestIngestAttachmentHosts: the hosts uploads come from are a list (env,
// file sequence, repeated flags; each layer replaces the one below);
// empty means Discord's CDN; anything but a host name is refused.
func TestIngestAttachmentHosts(t *testing.T) {
	c, err := Load("", envOf(nil), nil)
	if err != nil || len(c.IngestAttachmentHosts) != 0 {
		t.Errorf("default = %q, %v; want empty (Discord's CDN)", c.IngestAttachmentHosts, err)
	}
	file := writeFile(t, "ingest_attachment_hosts:\n  - cdn.example.com\n  - Media.Example.com\n")
	c, err = Load(file, envOf(nil), nil)
	if err != nil || strings.Join(c.IngestAttachmentHosts, "|") != "cdn.example.com|media.example.com" {
		t.Errorf("file = %q, %v", c.IngestAttachmentHosts, err)
	}
	c, err = Load(file, envOf(map[string]string{"FOOTNOTE_INGEST_ATTACHMENT_HOSTS": "a.example, b.example"}), nil)
	if err != nil || strings.Join(c.IngestAttachmentHosts, "|") != "a.example|b.example" {
		t.Errorf("env over file = %q, %v", c.IngestAttachmentHosts, err)
	}
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	_, apply := Flags(fs)
	if err := fs.Parse([]string{"--ingest-attachment-hosts", "127.0.0.1", "--ingest-attachment-hosts", "localhost"}); err != nil {
		t.Fatal(err)
	}
	c, err = Load(file, envOf(map[string]string{"FOOTNOTE_INGEST_ATTACHMENT_HOSTS": "a.example"}), apply)
	if err != nil || strings.Join(c.IngestAttachmentHosts, "|") != "127.0.0.1|localhost" {
		t.Errorf("flags over env = %q, %v", c.IngestAttachmentHosts, err)
	}
	for _, bad := range []string{"https://cdn.discordapp.com", "cdn.discordapp.com/x", "-x", "cdn_x.example"} {
		if _, err := Load("", envOf(map[string]string{"FOOTNOTE_INGEST_ATTACHMENT_HOSTS": bad}), nil); err == nil || !strings.Contains(err.Error(), "ingest_attachment_hosts") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
}

func TestURLPasswordsRedacted(t *testing.T) {
	env := map[string]string{
		"FOOTNOTE_LLM_BASE_URL":    "https://llm-user:llm-pw@llm.example/v1",
		"FOOTNOTE_LLM_MODEL":       "m",
		"FOOTNOTE_DISCORD_API_URL": "https://proxy-user:discord-pw@proxy.example/api/v10",
		"FOOTNOTE_RETRIEVER":       "weaviate",
		"FOOTNOTE_WEAVIATE_URL":    "http://wv:weaviate-pw@weaviate:8080",
	}
	c, err := Load("", envOf(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"llm_base_url       = https://llm-user:xxxxx@llm.example/v1\n",
		"discord_api_url    = https://proxy-user:xxxxx@proxy.example/api/v10\n",
		"weaviate_url       = http://wv:xxxxx@weaviate:8080\n",
	} {
		if !strings.Contains(c.Dump(), want) {
			t.Errorf("dump lacks %q:\n%s", want, c.Dump())
		}
	}
	// The configured value itself is untouched: the client needs it.
	if c.LLMBaseURL != env["FOOTNOTE_LLM_BASE_URL"] {
		t.Errorf("LLMBaseURL = %q", c.LLMBaseURL)
	}
	// Validation errors name the URL without its password.
	for key, bad := range map[string]string{
		"FOOTNOTE_LLM_BASE_URL":    "ftp://llm-user:llm-pw@llm.example/v1",
		"FOOTNOTE_DISCORD_API_URL": "ftp://proxy-user:discord-pw@proxy.example",
		"FOOTNOTE_WEAVIATE_URL":    "ftp://wv:weaviate-pw@weaviate:8080",
	} {
		e := maps.Clone(env)
		e[key] = bad
		_, err := Load("", envOf(e), nil)
		if err == nil || !strings.Contains(err.Error(), "xxxxx@") || strings.Contains(err.Error(), "-pw") {
			t.Errorf("%s=%s: err = %v, want the URL named with its password redacted", key, bad, err)
		}
	}
}
