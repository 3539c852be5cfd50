package discordtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The fake's own checks of the REST requests the bot sends. They run
// whether or not Discord's OpenAPI spec is beside the clone (without it they
// are all the checking there is), so they stay within what Discord
// documents and enforces, plus footnote's one rule of its own: a message
// pings nobody. They cover what the spec leaves out (command names, the
// 6,000-character embed total, five action rows, non-empty embed fields)
// and, more loosely, the parts of the spec the bot's requests touch (types
// and lengths of the fields it sends).

// checkRequest returns the problems of one request; p is the path after
// /api/v10, body the JSON body (a multipart request's payload_json).
func checkRequest(method, p string, body []byte) []string {
	c := &checks{}
	where := method + " " + p
	seg := strings.Split(strings.Trim(p, "/"), "/")
	decode := func() any {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			c.add(where, "body is not JSON (%v): %.200q", err, body)
			return nil
		}
		return v
	}
	switch {
	case method == "GET" || method == "DELETE":
		if len(body) > 0 {
			c.add(where, "%s with a body", method)
		}
	case method == "PUT" && len(seg) >= 3 && seg[0] == "applications" && seg[len(seg)-1] == "commands":
		if v := decode(); v != nil {
			c.commands(where, v)
		}
	case method == "POST" && len(seg) == 4 && seg[0] == "interactions" && seg[3] == "callback":
		if v := decode(); v != nil {
			c.callback(where, v)
		}
	case method == "PATCH" && len(seg) == 5 && seg[0] == "webhooks" && seg[3] == "messages",
		method == "POST" && len(seg) == 3 && seg[0] == "webhooks":
		if v := decode(); v != nil {
			c.message(where, c.object(where, "body", v), true)
		}
	case method == "POST" && len(seg) == 3 && seg[0] == "channels" && seg[2] == "messages":
		if v := decode(); v != nil {
			m := c.object(where, "body", v)
			c.message(where, m, true)
			if ref := c.object(where, "message_reference", m["message_reference"]); ref != nil {
				c.snowflake(where, ref, "message_id", true)
			}
		}
	}
	return c.probs
}

type checks struct{ probs []string }

func (c *checks) add(where, format string, a ...any) {
	c.probs = append(c.probs, where+": "+fmt.Sprintf(format, a...))
}

// object returns v as a JSON object; nil (and a problem unless v is
// absent or null) otherwise.
func (c *checks) object(where, what string, v any) map[string]any {
	if v == nil {
		return nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.add(where, "%s is %s, want an object", what, kind(v))
	}
	return m
}

func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// str checks an optional (or required) string of minLen to maxLen
// characters.
func (c *checks) str(where string, m map[string]any, key string, minLen, maxLen int, required bool) (string, bool) {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			c.add(where, "%s is required", key)
		}
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		c.add(where, "%s is %s, want a string", key, kind(v))
		return "", false
	}
	if n := utf8.RuneCountInString(s); n < minLen || n > maxLen {
		c.add(where, "%s has %d characters, want %d to %d", key, n, minLen, maxLen)
	}
	return s, true
}

// integer checks an optional (or required) integer in [lo, hi].
func (c *checks) integer(where string, m map[string]any, key string, lo, hi float64, required bool) (int64, bool) {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			c.add(where, "%s is required", key)
		}
		return 0, false
	}
	f, ok := v.(float64)
	if !ok || f != float64(int64(f)) {
		c.add(where, "%s is %v, want an integer", key, v)
		return 0, false
	}
	if f < lo || f > hi {
		c.add(where, "%s is %v, want %v to %v", key, f, lo, hi)
	}
	return int64(f), true
}

func (c *checks) boolean(where string, m map[string]any, key string) bool {
	v, ok := m[key]
	if !ok || v == nil {
		return false
	}
	b, ok := v.(bool)
	if !ok {
		c.add(where, "%s is %s, want a boolean", key, kind(v))
	}
	return b
}

// list checks an optional array of at most maxItems items.
func (c *checks) list(where string, m map[string]any, key string, maxItems int) []any {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	l, ok := v.([]any)
	if !ok {
		c.add(where, "%s is %s, want an array", key, kind(v))
		return nil
	}
	if len(l) > maxItems {
		c.add(where, "%s has %d items, at most %d allowed", key, len(l), maxItems)
	}
	return l
}

var digits = regexp.MustCompile(`^[0-9]{1,20}$`)

func (c *checks) snowflake(where string, m map[string]any, key string, required bool) {
	if s, ok := c.str(where, m, key, 1, 20, required); ok && !digits.MatchString(s) {
		c.add(where, "%s is %q, not a snowflake", key, s)
	}
}

// Interaction callback types Discord accepts.
var callbackTypes = map[int64]bool{1: true, 4: true, 5: true, 6: true, 7: true, 8: true, 9: true, 10: true, 12: true}

func (c *checks) callback(where string, v any) {
	m := c.object(where, "body", v)
	if m == nil {
		return
	}
	typ, ok := c.integer(where, m, "type", 1, 12, true)
	if ok && !callbackTypes[typ] {
		c.add(where, "type %d is not an interaction callback type", typ)
	}
	data := c.object(where, "data", m["data"])
	switch typ {
	case 4, 7: // a message, or an update of the component's message
		if data == nil {
			c.add(where, "callback type %d without data", typ)
			return
		}
		c.message(where+" data", data, true)
	case 5, 6: // deferred: only flags matter; what is there must ping nobody
		if data != nil {
			c.message(where+" data", data, false)
		}
	case 8: // autocomplete result
		if data == nil {
			c.add(where, "autocomplete result without data")
			return
		}
		for i, ch := range c.list(where, data, "choices", 25) {
			c.choice(fmt.Sprintf("%s choices[%d]", where, i), ch)
		}
	}
}

func (c *checks) choice(where string, v any) {
	m := c.object(where, "choice", v)
	if m == nil {
		return
	}
	c.str(where, m, "name", 1, 100, true)
	switch val := m["value"].(type) {
	case string:
		if n := utf8.RuneCountInString(val); n > 100 {
			c.add(where, "value has %d characters, at most 100 allowed", n)
		}
	case float64:
	default:
		c.add(where, "value is %s, want a string or a number", kind(val))
	}
}

// message checks a message payload (create, edit, or interaction
// response data). mentions: allowed_mentions must be there.
func (c *checks) message(where string, m map[string]any, mentions bool) {
	if m == nil {
		return
	}
	c.str(where, m, "content", 0, 2000, false)
	flags, _ := c.integer(where, m, "flags", 0, 1<<53, false)
	c.boolean(where, m, "tts")
	am, present := m["allowed_mentions"]
	switch {
	case !present || am == nil:
		if mentions {
			c.add(where, "no allowed_mentions: every message footnote sends must ping nobody (allowed_mentions {\"parse\": []})")
		}
	default:
		c.noMentions(where, am)
	}
	total := 0
	for i, e := range c.list(where, m, "embeds", 10) {
		total += c.embed(fmt.Sprintf("%s embeds[%d]", where, i), e)
	}
	if total > 6000 {
		c.add(where, "embeds have %d characters in all, at most 6000 allowed", total)
	}
	rows := c.list(where, m, "components", 40)
	if flags&(1<<15) == 0 && len(rows) > 5 {
		c.add(where, "%d action rows, at most 5 allowed", len(rows))
	}
	ids := map[string]bool{}
	for i, r := range rows {
		c.row(fmt.Sprintf("%s components[%d]", where, i), r, ids)
	}
	for i, a := range c.list(where, m, "attachments", 10) {
		if am := c.object(where, fmt.Sprintf("attachments[%d]", i), a); am != nil && am["id"] == nil {
			c.add(where, "attachments[%d] has no id", i)
		}
	}
}

func (c *checks) noMentions(where string, v any) {
	am := c.object(where, "allowed_mentions", v)
	if am == nil {
		return
	}
	for k, x := range am {
		switch k {
		case "parse", "users", "roles":
			if l, ok := x.([]any); x != nil && (!ok || len(l) > 0) {
				c.add(where, "allowed_mentions.%s = %v; footnote pings nobody (want [])", k, x)
			}
		case "replied_user":
			if x != nil && x != false {
				c.add(where, "allowed_mentions.replied_user = %v; footnote pings nobody", x)
			}
		default:
			c.add(where, "allowed_mentions has unknown field %q", k)
		}
	}
}

// embed checks an embed and returns its characters that count toward the
// 6,000 of a message.
func (c *checks) embed(where string, v any) int {
	e := c.object(where, "embed", v)
	if e == nil {
		return 0
	}
	n := 0
	count := func(s string, _ bool) { n += utf8.RuneCountInString(s) }
	count(c.str(where, e, "title", 0, 256, false))
	count(c.str(where, e, "description", 0, 4096, false))
	c.str(where, e, "url", 0, 2048, false)
	c.integer(where, e, "color", 0, 0xFFFFFF, false)
	if f := c.object(where, "footer", e["footer"]); f != nil {
		count(c.str(where+" footer", f, "text", 1, 2048, true))
	}
	if a := c.object(where, "author", e["author"]); a != nil {
		count(c.str(where+" author", a, "name", 1, 256, true))
	}
	for i, f := range c.list(where, e, "fields", 25) {
		fw := fmt.Sprintf("%s fields[%d]", where, i)
		if fm := c.object(fw, "field", f); fm != nil {
			count(c.str(fw, fm, "name", 1, 256, true))
			count(c.str(fw, fm, "value", 1, 1024, true))
			c.boolean(fw, fm, "inline")
		}
	}
	return n
}

// row checks a top-level component; ids collects custom_ids, which must be
// unique in a message.
func (c *checks) row(where string, v any, ids map[string]bool) {
	r := c.object(where, "component", v)
	if r == nil {
		return
	}
	typ, _ := c.integer(where, r, "type", 1, 40, true)
	if typ != 1 {
		return // components v2 (sections, containers...): the spec's to check
	}
	kids := c.list(where, r, "components", 5)
	if len(kids) == 0 {
		c.add(where, "action row without components")
	}
	for i, k := range kids {
		kw := fmt.Sprintf("%s components[%d]", where, i)
		km := c.object(kw, "component", k)
		if km == nil {
			continue
		}
		switch t, _ := c.integer(kw, km, "type", 2, 8, true); t {
		case 2: // button
			style, _ := c.integer(kw, km, "style", 1, 6, true)
			label, _ := c.str(kw, km, "label", 0, 80, false)
			switch style {
			case 5:
				c.str(kw, km, "url", 1, 512, true)
			case 6:
			default:
				if id, ok := c.str(kw, km, "custom_id", 1, 100, true); ok {
					c.unique(kw, id, ids)
				}
			}
			if label == "" && km["emoji"] == nil && style != 6 {
				c.add(kw, "button with neither label nor emoji")
			}
		case 3, 5, 6, 7, 8: // select menus
			if len(kids) > 1 {
				c.add(where, "a select menu must be alone in its action row")
			}
			if id, ok := c.str(kw, km, "custom_id", 1, 100, true); ok {
				c.unique(kw, id, ids)
			}
			c.str(kw, km, "placeholder", 0, 150, false)
			if t == 3 {
				opts := c.list(kw, km, "options", 25)
				if len(opts) == 0 {
					c.add(kw, "string select without options")
				}
				for j, o := range opts {
					if om := c.object(kw, fmt.Sprintf("options[%d]", j), o); om != nil {
						c.str(kw, om, "label", 1, 100, true)
						c.str(kw, om, "value", 1, 100, true)
						c.str(kw, om, "description", 0, 100, false)
					}
				}
			}
		default:
			c.add(kw, "component type %d is not allowed in an action row", t)
		}
	}
}

func (c *checks) unique(where, id string, ids map[string]bool) {
	if ids[id] {
		c.add(where, "custom_id %q is used twice in one message", id)
	}
	ids[id] = true
}

// Command and option names: lowercase, 1-32 characters, no spaces, for
// slash commands and options (Discord's documented rule, absent from the
// spec).
var slashName = regexp.MustCompile(`^[-_\p{Ll}\p{N}\p{Devanagari}\p{Thai}]{1,32}$`)

func (c *checks) commands(where string, v any) {
	l, ok := v.([]any)
	if !ok {
		c.add(where, "body is %s, want an array of commands", kind(v))
		return
	}
	if len(l) > 100 {
		c.add(where, "%d commands, at most 100 allowed", len(l))
	}
	seen := map[string]bool{}
	for i, x := range l {
		cw := fmt.Sprintf("%s [%d]", where, i)
		m := c.object(cw, "command", x)
		if m == nil {
			continue
		}
		typ, ok := c.integer(cw, m, "type", 1, 4, false)
		if !ok {
			typ = 1
		}
		name, _ := c.str(cw, m, "name", 1, 32, true)
		if seen[fmt.Sprint(typ, name)] {
			c.add(cw, "command %q of type %d registered twice", name, typ)
		}
		seen[fmt.Sprint(typ, name)] = true
		switch typ {
		case 1:
			if name != "" && !slashName.MatchString(name) {
				c.add(cw, "slash command name %q: want lowercase, 1-32 characters, no spaces", name)
			}
			c.str(cw, m, "description", 1, 100, true)
			c.options(cw+" "+name, m)
		case 2, 3:
			if d, _ := c.str(cw, m, "description", 0, 100, false); d != "" {
				c.add(cw, "a user or message command has no description (got %q)", d)
			}
			if m["options"] != nil {
				c.add(cw, "a user or message command has no options")
			}
		}
	}
}

func (c *checks) options(where string, m map[string]any) {
	optional := false
	seen := map[string]bool{}
	for i, x := range c.list(where, m, "options", 25) {
		ow := fmt.Sprintf("%s options[%d]", where, i)
		o := c.object(ow, "option", x)
		if o == nil {
			continue
		}
		typ, _ := c.integer(ow, o, "type", 1, 11, true)
		name, _ := c.str(ow, o, "name", 1, 32, true)
		if name != "" && !slashName.MatchString(name) {
			c.add(ow, "option name %q: want lowercase, 1-32 characters, no spaces", name)
		}
		if seen[name] {
			c.add(ow, "option %q twice", name)
		}
		seen[name] = true
		c.str(ow, o, "description", 1, 100, true)
		if c.boolean(ow, o, "required") {
			if optional {
				c.add(ow, "required option %q after an optional one", name)
			}
		} else if typ > 2 {
			optional = true
		}
		choices := c.list(ow, o, "choices", 25)
		for j, ch := range choices {
			c.choice(fmt.Sprintf("%s choices[%d]", ow, j), ch)
		}
		if c.boolean(ow, o, "autocomplete") && len(choices) > 0 {
			c.add(ow, "option %q has both autocomplete and choices", name)
		}
		c.integer(ow, o, "min_length", 0, 6000, false)
		c.integer(ow, o, "max_length", 1, 6000, false)
		if typ == 1 || typ == 2 { // subcommand or group
			c.options(ow+" "+name, o)
		}
	}
}
