// Command gotemplate renders the golden corpus with Go's own text/template and a reference function map written
// to the semantics docs/templates.md defines, so the Rust engine can be compared with Go byte for byte.
//
// Run from this directory: go run main.go   (writes golden/<template>__<payload>.txt)
package main

import (
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	texttemplate "text/template"
	"time"
)

// The ack link and wait Versus adds to every payload in the corpus.
const ackURL = "https://versus.example.com/ack/inc-1?sig=abc&exp=1"
const escalateAfterMinutes = 5

// broadcastMention is a plain @channel, @here or @everyone, which Slack may read as a channel-wide mention.
var broadcastMention = regexp.MustCompile(`(?i)@(channel|here|everyone)`)

// escape is mrkdwn escaping of payload text, applied to every string and key before rendering: the three
// control characters, and a word joiner (U+2060) after the @ of a broadcast mention.
func escape(s string) string {
	s = strings.ReplaceAll(s, "&", "&amp;")
	s = strings.ReplaceAll(s, "<", "&lt;")
	s = strings.ReplaceAll(s, ">", "&gt;")
	return broadcastMention.ReplaceAllString(s, "@\u2060$1")
}

// prepare escapes strings and turns JSON numbers into int64 where whole, float64 otherwise.
func prepare(v interface{}) interface{} {
	switch x := v.(type) {
	case string:
		return escape(x)
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []interface{}:
		for i := range x {
			x[i] = prepare(x[i])
		}
		return x
	case map[string]interface{}:
		out := map[string]interface{}{}
		for k, val := range x {
			out[escape(k)] = prepare(val)
		}
		return out
	}
	return v
}

func missing(v interface{}) bool { return v == nil }

func str(v interface{}) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func num(v interface{}) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

func equal(a, b interface{}) bool {
	if missing(a) || missing(b) {
		return missing(a) && missing(b)
	}
	if x, ok := num(a); ok {
		y, ok := num(b)
		return ok && x == y
	}
	sa, oka := a.(string)
	sb, okb := b.(string)
	if oka || okb {
		return oka && okb && sa == sb
	}
	ba, oka := a.(bool)
	bb, okb := b.(bool)
	return oka && okb && ba == bb
}

func compare(a, b interface{}) (int, bool) {
	if x, ok := num(a); ok {
		if y, ok := num(b); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	sa, oka := a.(string)
	sb, okb := b.(string)
	if oka && okb {
		return strings.Compare(sa, sb), true
	}
	return 0, false
}

func truthy(v interface{}) bool {
	t, _ := texttemplate.IsTrue(v)
	return t
}

func keepEntities(s string) string {
	r := strings.NewReplacer("&AMP;", "&amp;", "&Amp;", "&amp;", "&LT;", "&lt;", "&Lt;", "&lt;", "&GT;", "&gt;", "&Gt;", "&gt;")
	return r.Replace(s)
}

func mapStr(v interface{}, f func(string) string) string {
	if missing(v) {
		return ""
	}
	return f(str(v))
}

func toTime(v interface{}) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		t, err := time.Parse(time.RFC3339Nano, x)
		return t, err == nil
	case int64:
		return time.Unix(x, 0).UTC(), true
	}
	return time.Time{}, false
}

func formatTime(layout string, v interface{}) interface{} {
	if t, ok := toTime(v); ok {
		return t.Format(layout)
	}
	if missing(v) {
		return ""
	}
	return v
}

// blank gives missing operands as empty strings, so that printing functions write nothing for them.
func blank(args []interface{}) []interface{} {
	out := make([]interface{}, len(args))
	for i, a := range args {
		if missing(a) {
			a = ""
		}
		out[i] = a
	}
	return out
}

var funcs = texttemplate.FuncMap{
	"print":    func(a ...interface{}) string { return fmt.Sprint(blank(a)...) },
	"println":  func(a ...interface{}) string { return fmt.Sprintln(blank(a)...) },
	"printf":   func(f string, a ...interface{}) string { return fmt.Sprintf(f, blank(a)...) },
	"html":     func(a ...interface{}) string { return texttemplate.HTMLEscapeString(fmt.Sprint(blank(a)...)) },
	"js":       func(a ...interface{}) string { return texttemplate.JSEscapeString(fmt.Sprint(blank(a)...)) },
	"urlquery": func(a ...interface{}) string { return url.QueryEscape(fmt.Sprint(blank(a)...)) },
	"eq": func(a interface{}, bs ...interface{}) bool {
		for _, b := range bs {
			if equal(a, b) {
				return true
			}
		}
		return false
	},
	"ne": func(a, b interface{}) bool { return !equal(a, b) },
	"lt": func(a, b interface{}) bool { c, ok := compare(a, b); return ok && c < 0 },
	"le": func(a, b interface{}) bool { c, ok := compare(a, b); return ok && c <= 0 },
	"gt": func(a, b interface{}) bool { c, ok := compare(a, b); return ok && c > 0 },
	"ge": func(a, b interface{}) bool { c, ok := compare(a, b); return ok && c >= 0 },
	"len": func(v interface{}) int {
		if missing(v) {
			return 0
		}
		return reflect.ValueOf(v).Len()
	},
	"index": func(v interface{}, keys ...interface{}) interface{} {
		for _, k := range keys {
			switch x := v.(type) {
			case []interface{}:
				i, ok := k.(int)
				if !ok || i < 0 || i >= len(x) {
					return nil
				}
				v = x[i]
			case map[string]interface{}:
				v = x[str(k)]
			case string:
				i, ok := k.(int)
				if !ok || i < 0 || i >= len(x) {
					return nil
				}
				v = int64(x[i])
			default:
				return nil
			}
		}
		return v
	},
	"slice": func(v interface{}, bounds ...int) interface{} {
		switch x := v.(type) {
		case []interface{}:
			lo, hi := 0, len(x)
			if len(bounds) > 0 {
				lo = bounds[0]
			}
			if len(bounds) > 1 {
				hi = bounds[1]
			}
			return x[lo:hi]
		case string:
			lo, hi := 0, len(x)
			if len(bounds) > 0 {
				lo = bounds[0]
			}
			if len(bounds) > 1 {
				hi = bounds[1]
			}
			return x[lo:hi]
		}
		return nil
	},
	"replaceAll": func(old, new string, v interface{}) string {
		return mapStr(v, func(s string) string { return strings.ReplaceAll(s, old, new) })
	},
	"replace": func(old, new string, v interface{}) string {
		return mapStr(v, func(s string) string { return strings.ReplaceAll(s, old, new) })
	},
	"contains": func(sub string, v interface{}) bool { return !missing(v) && strings.Contains(str(v), sub) },
	"upper":    func(v interface{}) string { return mapStr(v, func(s string) string { return keepEntities(strings.ToUpper(s)) }) },
	"lower":    func(v interface{}) string { return mapStr(v, func(s string) string { return keepEntities(strings.ToLower(s)) }) },
	"title":    func(v interface{}) string { return mapStr(v, func(s string) string { return keepEntities(strings.Title(s)) }) },
	"toString": func(v interface{}) string { return str(v) },
	"default": func(d, v interface{}) interface{} {
		if truthy(v) {
			return v
		}
		return d
	},
	"trimPrefix": func(p string, v interface{}) string {
		return mapStr(v, func(s string) string { return strings.TrimPrefix(s, p) })
	},
	"trimSuffix": func(p string, v interface{}) string {
		return mapStr(v, func(s string) string { return strings.TrimSuffix(s, p) })
	},
	"split": func(sep string, v interface{}) []interface{} {
		out := []interface{}{}
		if missing(v) {
			return out
		}
		for _, p := range strings.Split(str(v), sep) {
			out = append(out, p)
		}
		return out
	},
	"join": func(sep string, v interface{}) string {
		if l, ok := v.([]interface{}); ok {
			parts := []string{}
			for _, x := range l {
				parts = append(parts, fmt.Sprint(x))
			}
			return strings.Join(parts, sep)
		}
		return str(v)
	},
	"stringSlice": func(xs ...interface{}) []interface{} {
		out := []interface{}{}
		for _, x := range xs {
			out = append(out, str(x))
		}
		return out
	},
	"truncate": func(n int, v interface{}) string {
		return mapStr(v, func(s string) string {
			r := []rune(s)
			if len(r) > n {
				r = r[:n]
			}
			return string(r)
		})
	},
	"formatTime": formatTime,
	"date":       formatTime,
	"format":     func(f string, a ...interface{}) string { return fmt.Sprintf(f, blank(a)...) },
	"now":        func() time.Time { return time.Now() },
	"dict": func(kv ...interface{}) map[string]interface{} {
		m := map[string]interface{}{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[str(kv[i])] = kv[i+1]
		}
		return m
	},
	"list": func(xs ...interface{}) []interface{} { return append([]interface{}{}, xs...) },
	"append": func(l interface{}, v interface{}) []interface{} {
		out := []interface{}{}
		if x, ok := l.([]interface{}); ok {
			out = append(out, x...)
		} else if !missing(l) {
			out = append(out, l)
		}
		return append(out, v)
	},
	"add": func(xs ...interface{}) interface{} {
		allInt := true
		var fi int64
		var ff float64
		for _, x := range xs {
			switch v := x.(type) {
			case int:
				fi += int64(v)
				ff += float64(v)
			case int64:
				fi += v
				ff += float64(v)
			case float64:
				allInt = false
				ff += v
			}
		}
		if allInt {
			return fi
		}
		return ff
	},
	"regexMatch": func(re string, v interface{}) bool {
		return !missing(v) && regexp.MustCompile(re).MatchString(str(v))
	},
	"escapeHTML": func(v interface{}) string { return mapStr(v, template.HTMLEscapeString) },
	"env":        func(name string) string { return os.Getenv(name) },
}

func main() {
	templates, _ := filepath.Glob("templates/*.tmpl")
	payloads, _ := filepath.Glob("payloads/*.json")
	for _, tp := range templates {
		src, err := os.ReadFile(tp)
		check(err)
		tmpl := texttemplate.Must(texttemplate.New(filepath.Base(tp)).Funcs(funcs).Parse(string(src)))
		for _, pp := range payloads {
			raw, err := os.ReadFile(pp)
			check(err)
			dec := json.NewDecoder(strings.NewReader(string(raw)))
			dec.UseNumber()
			var data map[string]interface{}
			check(dec.Decode(&data))
			data = prepare(data).(map[string]interface{})
			data["AckURL"] = escape(ackURL)
			data["EscalateAfterMinutes"] = int64(escalateAfterMinutes)
			var out strings.Builder
			check(tmpl.Execute(&out, data))
			name := strings.TrimSuffix(filepath.Base(tp), ".tmpl") + "__" + strings.TrimSuffix(filepath.Base(pp), ".json") + ".txt"
			check(os.WriteFile(filepath.Join("golden", name), []byte(out.String()), 0o644))
		}
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
