// Package discordtest is an in-process Discord for tests: the gateway
// websocket (HELLO, IDENTIFY, READY, heartbeats and ACKs, dispatches,
// RESUME with replay, op 7 and op 9, close codes) and the REST endpoints a
// bot uses, on loopback. Every REST request is checked by the fake itself
// (check.go: JSON bodies, Discord's documented limits, command names, and
// allowed_mentions that ping nobody); when ../shared/specs is there (CI
// always has it), every request, and every response the fake sends, is also
// validated against Discord's OpenAPI spec. Without the spec the fake runs
// all the same and says once that spec validation is off;
// FOOTNOTE_REQUIRE_SHARED=1 makes a missing spec fail the test instead.
package discordtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/gorilla/websocket"

	"github.com/footnote-bot/footnote/internal/apispec"
	"github.com/footnote-bot/footnote/internal/sharedtest"
)

// IDs the fake uses.
const (
	AppID   = "1100000000000000001"
	BotID   = "1100000000000000001"
	GuildID = "1200000000000000001"
	Token   = "test-bot-token"
)

// Call is one REST request the bot made.
type Call struct {
	Method string
	Path   string // /api/v10/...
	Query  string
	Body   []byte
	At     time.Time
	Status int
	// Files are the attachments of a multipart request, whose Body is
	// then its payload_json.
	Files []File
}

// File is an uploaded attachment.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// maxUpload is Discord's limit on the files of one message (10 MiB).
const maxUpload = 10 << 20

// JSON decodes the body.
func (c Call) JSON() map[string]any {
	var m map[string]any
	_ = json.Unmarshal(c.Body, &m)
	return m
}

// Failure makes matching requests fail.
type Failure struct {
	Method     string
	PathPrefix string // after /api/v10
	Status     int
	RetryAfter float64 // seconds, for 429
	Global     bool
	Times      int // how many requests fail (0 = 1)
	Delay      time.Duration
}

// Server is the fake Discord.
type Server struct {
	t    testing.TB
	spec *apispec.Spec // nil without ../shared/specs
	http *httptest.Server

	mu       sync.Mutex
	calls    []Call
	problems []string
	failures []*Failure
	conn     *websocket.Conn
	connMu   sync.Mutex // serialises writes to conn
	seq      int64
	history  []frame // dispatched events, for RESUME replay
	session  string
	identify []map[string]any
	resumes  int
	ackBeats atomic.Bool
	beatMs   int
	skip     bool
	files    map[string][]byte
	closes   []ClientClose // close frames sent by the client
	// closing holds the connections the fake has sent a close frame on:
	// a close frame the client sends on one of them is its reply.
	closing map[*websocket.Conn]bool
	msgID   atomic.Int64
	notify  chan struct{}
	// shards holds the connections of shards other than 0 (shard 0 is
	// conn, with resume support); they get no RESUME, only IDENTIFY.
	shards      map[int]*shardConn
	recommended int
}

type shardConn struct {
	conn *websocket.Conn
	seq  int64
}

type frame struct {
	seq  int64
	data []byte
}

// Options tune the fake.
type Options struct {
	HeartbeatInterval time.Duration // default 45s
	// RecommendedShards is the shard count /gateway/bot recommends
	// (default 1).
	RecommendedShards int
	// SkipValidation turns off all checking of requests (spec and the
	// fake's own), for load benchmarks only: validating every request
	// would cost more than the bot being measured.
	SkipValidation bool
}

var specOff sync.Once

// loadSpec returns Discord's spec, or nil when ../shared/specs is absent
// (then it says so, once a process). Under FOOTNOTE_REQUIRE_SHARED=1 a
// missing spec fails the test.
func loadSpec(t testing.TB) *apispec.Spec {
	t.Helper()
	path, ok := sharedtest.Optional(t, "specs", "discord-openapi.json")
	if !ok {
		specOff.Do(func() {
			t.Log("discordtest: ../shared/specs/discord-openapi.json is absent, so REST traffic is not validated against Discord's OpenAPI spec; the fake's own checks still run (CI has the spec; FOOTNOTE_REQUIRE_SHARED=1 requires it)")
		})
		return nil
	}
	spec, err := apispec.Load(path, "/api/v10")
	if err != nil {
		t.Fatal(err)
	}
	return spec
}

// New starts a fake Discord, which validates against Discord's OpenAPI spec
// when ../shared/specs has it.
func New(t testing.TB, opt Options) *Server {
	t.Helper()
	var spec *apispec.Spec
	if !opt.SkipValidation {
		spec = loadSpec(t)
	}
	s := &Server{t: t, spec: spec, session: "session-1", notify: make(chan struct{}, 1), skip: opt.SkipValidation,
		recommended: max(opt.RecommendedShards, 1)}
	s.ackBeats.Store(true)
	s.beatMs = 45000
	if opt.HeartbeatInterval > 0 {
		s.beatMs = int(opt.HeartbeatInterval / time.Millisecond)
	}
	s.msgID.Store(1300000000000000000)
	mux := http.NewServeMux()
	mux.HandleFunc("/gateway-ws", s.gateway)
	mux.HandleFunc("/gateway-ws/", s.gateway)
	mux.HandleFunc("/attachments/", s.attachment)
	mux.HandleFunc("/", s.rest)
	s.http = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.http.CloseClientConnections()
		s.http.Close()
		for _, p := range s.Problems() {
			t.Errorf("discordtest: %s", p)
		}
	})
	return s
}

// APIURL is the base URL to configure (FOOTNOTE_DISCORD_API_URL).
func (s *Server) APIURL() string { return s.http.URL + "/api/v10" }

// Problems lists protocol and spec violations seen.
func (s *Server) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

func (s *Server) problem(format string, a ...any) {
	s.mu.Lock()
	s.problems = append(s.problems, fmt.Sprintf(format, a...))
	s.mu.Unlock()
}

// Calls returns the REST requests so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Fail makes the next matching request(s) fail.
func (s *Server) Fail(f Failure) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	s.failures = append(s.failures, &f)
	s.mu.Unlock()
}

// WaitCall waits until a call matches, returning it.
func (s *Server) WaitCall(timeout time.Duration, match func(Call) bool) (Call, bool) {
	deadline := time.Now().Add(timeout)
	for {
		for _, c := range s.Calls() {
			if match(c) {
				return c, true
			}
		}
		if time.Now().After(deadline) {
			return Call{}, false
		}
		select {
		case <-s.notify:
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (s *Server) rest(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var files []File
	if mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil && mt == "multipart/form-data" {
		// As Discord does: the JSON body is the payload_json part, and
		// it is validated as the JSON body it stands for.
		payload, fs, err := readMultipart(body, params["boundary"])
		if err != nil {
			s.problem("%s %s: multipart body: %v", r.Method, r.URL.Path, err)
		}
		total := 0
		for _, f := range fs {
			total += len(f.Data)
		}
		if total > maxUpload || len(fs) > 10 {
			s.problem("%s %s: %d files of %d bytes, over Discord's limits (10 files, 10 MiB)", r.Method, r.URL.Path, len(fs), total)
		}
		body, files = payload, fs
		r.Header.Set("Content-Type", "application/json")
	}
	call := Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: body, At: time.Now(), Files: files}
	if !strings.HasPrefix(r.URL.Path, "/api/v10/") {
		s.problem("%s %s: not under /api/v10 (the bot must send every call to the configured API URL)", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if got := r.Header.Get("Authorization"); got != "Bot "+Token && r.URL.Path != "/api/v10/gateway" {
		// As Discord does: an unauthenticated call is refused.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"message": "401: Unauthorized", "code": 0}`))
		s.mu.Lock()
		s.calls = append(s.calls, Call{Method: r.Method, Path: r.URL.Path, Body: body, At: time.Now(), Status: 401})
		s.mu.Unlock()
		return
	}
	var in *openapi3filter.RequestValidationInput
	if !s.skip {
		for _, p := range checkRequest(r.Method, strings.TrimPrefix(r.URL.Path, "/api/v10"), body) {
			s.problem("%s", p)
		}
	}
	if !s.skip && s.spec != nil {
		var err error
		in, err = s.spec.ValidateRequest(r, body)
		if err != nil {
			s.problem("%v\nbody: %s", err, body)
		}
	}
	status, respBody, header := s.respond(r, call, body)
	call.Status = status
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
	if in != nil && status != http.StatusNoContent {
		h := http.Header{"Content-Type": {"application/json"}}
		if err := s.spec.ValidateResponse(in, status, h, respBody); err != nil {
			s.problem("fake's own %v\nbody: %s", err, respBody)
		}
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(respBody)
}

// readMultipart returns the payload_json part and the files of a
// multipart/form-data body.
func readMultipart(body []byte, boundary string) ([]byte, []File, error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	var payload []byte
	var files []File
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return payload, files, err
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return payload, files, err
		}
		switch name := part.FormName(); {
		case name == "payload_json":
			payload = data
		case strings.HasPrefix(name, "files["):
			files = append(files, File{Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		default:
			return payload, files, fmt.Errorf("unexpected part %q", name)
		}
	}
	if payload == nil {
		return nil, files, errors.New("no payload_json part")
	}
	return payload, files, nil
}

func (s *Server) nextID() string { return strconv.FormatInt(s.msgID.Add(1), 10) }

func (s *Server) respond(r *http.Request, call Call, body []byte) (int, []byte, http.Header) {
	p := strings.TrimPrefix(r.URL.Path, "/api/v10")
	// Injected failures.
	s.mu.Lock()
	var fail *Failure
	for _, f := range s.failures {
		if f.Times > 0 && (f.Method == "" || f.Method == r.Method) && strings.HasPrefix(p, f.PathPrefix) {
			f.Times--
			fail = f
			break
		}
	}
	s.mu.Unlock()
	if fail != nil {
		if fail.Delay > 0 {
			time.Sleep(fail.Delay)
		}
		if fail.Status == http.StatusTooManyRequests {
			b, _ := json.Marshal(map[string]any{"message": "You are being rate limited.", "retry_after": fail.RetryAfter, "global": fail.Global, "code": 0})
			h := http.Header{"Retry-After": {strconv.Itoa(int(fail.RetryAfter + 0.999))}, "X-RateLimit-Scope": {"user"}}
			if fail.Global {
				h.Set("X-RateLimit-Global", "true")
			}
			return fail.Status, b, h
		}
		if fail.Status != 0 {
			b, _ := json.Marshal(map[string]any{"message": http.StatusText(fail.Status), "code": 0})
			return fail.Status, b, nil
		}
	}
	var req map[string]any
	_ = json.Unmarshal(body, &req)
	seg := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case r.Method == "GET" && p == "/gateway":
		return s.json(200, map[string]any{"url": "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway-ws"})
	case r.Method == "GET" && p == "/gateway/bot":
		return s.json(200, map[string]any{"url": "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway-ws", "shards": s.recommended,
			"session_start_limit": map[string]any{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})
	case r.Method == "PUT" && len(seg) >= 3 && seg[0] == "applications" && seg[len(seg)-1] == "commands":
		var cmds []map[string]any
		_ = json.Unmarshal(body, &cmds)
		out := []map[string]any{}
		for _, c := range cmds {
			out = append(out, commandObject(c, s.nextID(), guildOf(seg)))
		}
		return s.json(200, out)
	case r.Method == "POST" && len(seg) == 4 && seg[0] == "interactions" && seg[3] == "callback":
		return http.StatusNoContent, nil, nil
	case r.Method == "PATCH" && len(seg) == 5 && seg[0] == "webhooks" && seg[3] == "messages":
		if seg[1] == "" {
			s.problem("edit without application ID: %s", p)
		}
		return s.json(200, s.message(req, "", seg[1]))
	case r.Method == "POST" && len(seg) == 3 && seg[0] == "webhooks":
		return s.json(200, s.message(req, "", seg[1]))
	case r.Method == "POST" && len(seg) == 3 && seg[0] == "channels" && seg[2] == "messages":
		return s.json(200, s.message(req, seg[1], ""))
	case r.Method == "POST" && len(seg) == 3 && seg[0] == "channels" && seg[2] == "typing":
		return http.StatusNoContent, nil, nil
	case r.Method == "GET" && p == "/users/@me":
		return s.json(200, User(BotID, "footnote", true))
	}
	s.problem("%s %s: the fake does not serve this endpoint", r.Method, p)
	return s.json(404, map[string]any{"message": "Unknown", "code": 0})
}

func guildOf(seg []string) any {
	for i, x := range seg {
		if x == "guilds" && i+1 < len(seg) {
			return seg[i+1]
		}
	}
	return nil
}

// clean drops null values and false "autocomplete" flags, which Discord
// omits from the objects it returns.
func clean(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range t {
			if x == nil || (k == "autocomplete" && x == false) {
				continue
			}
			out[k] = clean(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = clean(x)
		}
		return out
	}
	return v
}

func commandObject(c map[string]any, id string, guild any) map[string]any {
	c = clean(c).(map[string]any)
	out := map[string]any{"id": id, "application_id": AppID, "version": id, "type": 1, "default_member_permissions": nil,
		"description": "", "dm_permission": true, "nsfw": false}
	for k, v := range c {
		out[k] = v
	}
	if guild != nil {
		out["guild_id"] = guild
	}
	// Requests carry the permission bit set as an integer; responses as a string.
	if n, ok := out["default_member_permissions"].(float64); ok {
		out["default_member_permissions"] = strconv.FormatInt(int64(n), 10)
	}
	if out["type"] == nil {
		out["type"] = 1
	}
	return out
}

// User is a Discord user object.
func User(id, name string, bot bool) map[string]any {
	return map[string]any{"id": id, "username": name, "discriminator": "0", "global_name": name, "avatar": nil, "bot": bot,
		"public_flags": 0, "flags": 0, "primary_guild": nil}
}

func (s *Server) message(req map[string]any, channel, webhook string) map[string]any {
	if channel == "" {
		channel = "1400000000000000001"
	}
	m := map[string]any{"id": s.nextID(), "channel_id": channel, "author": User(BotID, "footnote", true),
		"content": "", "timestamp": time.Now().UTC().Format(time.RFC3339), "edited_timestamp": nil, "tts": false,
		"mention_everyone": false, "mentions": []any{}, "mention_roles": []any{}, "attachments": []any{}, "embeds": []any{},
		"pinned": false, "type": 0, "flags": 0, "components": []any{}}
	if webhook != "" {
		m["webhook_id"] = webhook
		m["application_id"] = AppID
	}
	for _, k := range []string{"content", "embeds", "components"} {
		if v, ok := req[k]; ok && v != nil {
			m[k] = clean(v)
		}
	}
	// Discord returns embeds with their type and components with IDs.
	if es, ok := m["embeds"].([]any); ok {
		for _, e := range es {
			em, ok := e.(map[string]any)
			if !ok {
				continue
			}
			if em["type"] == nil {
				em["type"] = "rich"
			}
			fs, _ := em["fields"].([]any)
			for _, f := range fs {
				if fm, ok := f.(map[string]any); ok && fm["inline"] == nil {
					fm["inline"] = false
				}
			}
		}
	}
	n := 0
	var number func(v any)
	number = func(v any) {
		switch t := v.(type) {
		case []any:
			for _, x := range t {
				number(x)
			}
		case map[string]any:
			n++
			t["id"] = n
			number(t["components"])
		}
	}
	number(m["components"])
	if f, ok := req["flags"].(float64); ok {
		m["flags"] = int(f)
	}
	return m
}

func (s *Server) json(status int, v any) (int, []byte, http.Header) {
	b, err := json.Marshal(v)
	if err != nil {
		s.problem("marshal: %v", err)
	}
	return status, b, nil
}

// ---- gateway ----

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// gateway serves one websocket connection.
func (s *Server) gateway(w http.ResponseWriter, r *http.Request) {
	if v := r.URL.Query().Get("v"); v == "" || r.URL.Query().Get("encoding") != "json" {
		s.problem("gateway URL %s lacks v= or encoding=json", r.URL)
	}
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.problem("upgrade: %v", err)
		return
	}
	// Which shard a connection serves is known at its IDENTIFY (or, for
	// shard 0, RESUME); then it replaces that shard's last connection.
	shard := 0
	takeShard0 := func() {
		s.mu.Lock()
		old := s.conn
		s.conn = c
		s.mu.Unlock()
		if old != nil && old != c {
			old.Close()
		}
	}
	defer func() {
		if shard > 0 {
			s.mu.Lock()
			if sc := s.shards[shard]; sc != nil && sc.conn == c {
				delete(s.shards, shard)
			}
			s.mu.Unlock()
		}
	}()
	s.write(c, map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": s.beatMs}, "s": nil, "t": nil})
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			// As on real Discord, a client that closes with 1000 or 1001
			// ends its session: a later RESUME gets op 9. A close frame
			// that answers the fake's own (CloseWith) completes the
			// closing handshake and ends nothing: the session's fate is
			// the server's close code. (discordgo answers any close
			// with 1000; the fake used to end the session when it read
			// that reply before dropping the connection, so a resumable
			// close 4000 was sometimes followed by a re-identify.)
			var ce *websocket.CloseError
			s.mu.Lock()
			reply := s.closing[c]
			delete(s.closing, c)
			if errors.As(err, &ce) {
				s.closes = append(s.closes, ClientClose{Code: ce.Code, Reply: reply})
			}
			s.mu.Unlock()
			if ce != nil && !reply && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway) {
				s.InvalidateSession()
			}
			c.Close()
			return
		}
		var msg struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := json.Unmarshal(data, &msg); err != nil {
			s.problem("gateway frame is not JSON: %q", data)
			continue
		}
		switch msg.Op {
		case 1: // heartbeat
			if s.ackBeats.Load() {
				s.write(c, map[string]any{"op": 11, "d": nil, "s": nil, "t": nil})
			}
		case 2: // identify
			var d map[string]any
			_ = json.Unmarshal(msg.D, &d)
			if d["token"] != "Bot "+Token {
				s.closeConn(c, 4004, "Authentication failed.")
				continue // until the client answers the close or hangs up
			}
			if sh, ok := d["shard"].([]any); ok && len(sh) == 2 {
				if id, _ := sh[0].(float64); id > 0 {
					shard = int(id)
					s.mu.Lock()
					if s.shards == nil {
						s.shards = map[int]*shardConn{}
					}
					s.shards[shard] = &shardConn{conn: c}
					s.mu.Unlock()
					s.DispatchShard(shard, "READY", map[string]any{
						"v": 10, "user": User(BotID, "footnote", true), "session_id": fmt.Sprintf("session-shard-%d", shard),
						"resume_gateway_url": "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway-ws",
						"guilds":             []any{}, "shard": d["shard"], "application": map[string]any{"id": AppID, "flags": 0},
					})
					s.mu.Lock()
					s.identify = append(s.identify, d)
					s.mu.Unlock()
					continue
				}
			}
			takeShard0()
			s.mu.Lock()
			s.session = fmt.Sprintf("session-%d", len(s.identify)+1)
			s.history = nil
			s.seq = 0
			s.mu.Unlock()
			s.dispatch(c, "READY", map[string]any{
				"v": 10, "user": User(BotID, "footnote", true), "session_id": s.currentSession(),
				"resume_gateway_url": "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway-ws",
				"guilds":             []any{map[string]any{"id": GuildID, "unavailable": true}}, "shard": d["shard"],
				"application": map[string]any{"id": AppID, "flags": 0},
			})
			// Counted once READY is on its way: a test that waits for the
			// identify and then dispatches cannot get its event in first.
			s.mu.Lock()
			s.identify = append(s.identify, d)
			s.mu.Unlock()
		case 6: // resume
			var d struct {
				Token     string `json:"token"`
				SessionID string `json:"session_id"`
				Seq       int64  `json:"seq"`
			}
			_ = json.Unmarshal(msg.D, &d)
			if d.SessionID != s.currentSession() {
				// Invalid session, not resumable: the client must identify.
				s.write(c, map[string]any{"op": 9, "d": false, "s": nil, "t": nil})
				continue
			}
			takeShard0()
			s.mu.Lock()
			s.resumes++
			var replay []frame
			for _, f := range s.history {
				if f.seq > d.Seq {
					replay = append(replay, f)
				}
			}
			s.mu.Unlock()
			for _, f := range replay {
				s.writeRaw(c, f.data)
			}
			s.dispatch(c, "RESUMED", map[string]any{})
		default:
			s.problem("unexpected gateway op %d: %s", msg.Op, data)
		}
	}
}

func (s *Server) currentSession() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.session
}

func (s *Server) write(c *websocket.Conn, v any) {
	b, _ := json.Marshal(v)
	s.writeRaw(c, b)
}

func (s *Server) writeRaw(c *websocket.Conn, b []byte) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	_ = c.WriteMessage(websocket.TextMessage, b)
}

func (s *Server) dispatch(c *websocket.Conn, typ string, d any) {
	s.mu.Lock()
	s.seq++
	seq := s.seq
	b, _ := json.Marshal(map[string]any{"op": 0, "s": seq, "t": typ, "d": d})
	s.history = append(s.history, frame{seq: seq, data: b})
	s.mu.Unlock()
	if c != nil {
		s.writeRaw(c, b)
	}
}

// Dispatch sends an event to the connected bot (or queues it for replay if
// the connection is down).
func (s *Server) Dispatch(typ string, d any) {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	s.dispatch(c, typ, d)
}

// DispatchShard sends an event on a shard's connection (shard 0: as
// Dispatch). Events for a shard that is not connected are dropped, as
// Discord holds them only for a resumable session.
func (s *Server) DispatchShard(shard int, typ string, d any) {
	if shard == 0 {
		s.Dispatch(typ, d)
		return
	}
	s.mu.Lock()
	sc := s.shards[shard]
	if sc == nil {
		s.mu.Unlock()
		return
	}
	sc.seq++
	b, _ := json.Marshal(map[string]any{"op": 0, "s": sc.seq, "t": typ, "d": d})
	c := sc.conn
	s.mu.Unlock()
	s.writeRaw(c, b)
}

// ShardOf is the shard that receives a guild's events (Discord's formula).
func ShardOf(guildID string, shards int) int {
	id, _ := strconv.ParseUint(guildID, 10, 64)
	return int((id >> 22) % uint64(shards))
}

// WaitConnected waits until the bot has identified (n times in total).
func (s *Server) WaitIdentified(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		got := len(s.identify)
		s.mu.Unlock()
		if got >= n {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// Identifies returns the IDENTIFY payloads received.
func (s *Server) Identifies() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.identify...)
}

// Resumes counts successful RESUMEs.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}

// DropConnection closes the socket abruptly (no close frame), as a network
// failure would. Events dispatched until the bot resumes are replayed.
func (s *Server) DropConnection() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.UnderlyingConn().Close()
	}
}

// CloseWith closes the socket with a close code (e.g. 4000 or 4004).
func (s *Server) CloseWith(code int, reason string) {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		s.closeConn(c, code, reason)
	}
}

// closeHandshakeWait bounds how long the fake waits for the client's reply
// to its close frame.
const closeHandshakeWait = 30 * time.Second

// closeConn starts the closing handshake as a server does (RFC 6455,
// 7.1.1): it sends a close frame, and the connection is dropped once the
// client's reply is read (or the client hangs up, or after
// closeHandshakeWait).
func (s *Server) closeConn(c *websocket.Conn, code int, reason string) {
	s.mu.Lock()
	if s.closing == nil {
		s.closing = map[*websocket.Conn]bool{}
	}
	s.closing[c] = true
	s.mu.Unlock()
	s.connMu.Lock()
	err := c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason))
	s.connMu.Unlock()
	if err != nil {
		c.Close()
		return
	}
	time.AfterFunc(closeHandshakeWait, func() { c.Close() })
}

// SendOp sends a non-dispatch opcode (7 reconnect, 9 invalid session).
func (s *Server) SendOp(op int, d any) {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		s.write(c, map[string]any{"op": op, "d": d, "s": nil, "t": nil})
	}
}

// InvalidateSession makes the next RESUME fail with op 9.
func (s *Server) InvalidateSession() {
	s.mu.Lock()
	s.session = s.session + "-invalid"
	s.mu.Unlock()
}

// AckHeartbeats turns heartbeat ACKs on or off.
func (s *Server) AckHeartbeats(on bool) { s.ackBeats.Store(on) }

// Bodies returns the JSON bodies of calls matching method and path prefix
// (after /api/v10).
func (s *Server) Bodies(method, prefix string) [][]byte {
	var out [][]byte
	for _, c := range s.Calls() {
		if c.Method == method && strings.HasPrefix(strings.TrimPrefix(c.Path, "/api/v10"), prefix) {
			out = append(out, bytes.Clone(c.Body))
		}
	}
	return out
}

var flake atomic.Int64

// Snowflake returns a new ID whose timestamp is now (so token-age checks
// see a fresh interaction).
func Snowflake() string {
	ms := time.Now().UnixMilli() - 1420070400000
	return strconv.FormatInt(ms<<22|flake.Add(1)&0x3fffff, 10)
}

// LastMessageID is the ID of the last message the fake created.
func (s *Server) LastMessageID() string { return strconv.FormatInt(s.msgID.Load(), 10) }

// ClientClose is a close frame the client sent.
type ClientClose struct {
	Code int
	// Reply: it answered the fake's close frame (CloseWith), so it did
	// not end the session whatever its code.
	Reply bool
}

// ClientCloses returns every close frame the client sent, in order.
func (s *Server) ClientCloses() []ClientClose {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ClientClose(nil), s.closes...)
}

// AddAttachment serves data as an uploaded file (as Discord's CDN would)
// and returns its attachment object for an interaction's resolved data.
func (s *Server) AddAttachment(id, name, contentType string, data []byte) map[string]any {
	s.mu.Lock()
	if s.files == nil {
		s.files = map[string][]byte{}
	}
	s.files[id+"/"+name] = data
	s.mu.Unlock()
	url := s.http.URL + "/attachments/" + id + "/" + name
	return map[string]any{"id": id, "filename": name, "size": len(data), "url": url, "proxy_url": url, "content_type": contentType}
}

func (s *Server) attachment(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	data, ok := s.files[strings.TrimPrefix(r.URL.Path, "/attachments/")]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Write(data)
}

// ForgetTraffic drops the recorded calls and the replay history (for
// memory measurements in long benchmarks).
func (s *Server) ForgetTraffic() {
	s.mu.Lock()
	s.calls, s.history = nil, nil
	s.mu.Unlock()
}

// AskInteraction is a minimal /ask INTERACTION_CREATE payload, shaped as
// Discord documents it, for benchmarks and end-to-end tests.
func AskInteraction(id, token, userID, question string) map[string]any {
	return AskInGuild(GuildID, id, token, userID, question)
}

// AskInGuild is AskInteraction in another guild.
func AskInGuild(guildID, id, token, userID, question string) map[string]any {
	return map[string]any{
		"id": id, "application_id": AppID, "type": 2, "token": token, "version": 1,
		"guild_id": guildID, "channel_id": "1400000000000000001", "app_permissions": "0", "locale": "en-US",
		"member": map[string]any{"user": User(userID, "u", false), "roles": []any{}, "permissions": "0",
			"joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false},
		"data": map[string]any{"id": "1", "name": "ask", "type": 1, "options": []any{
			map[string]any{"name": "question", "type": 3, "value": question}}},
	}
}
