package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// line is one recorded event, ready to be replayed.
type line struct {
	raw string
	// background: the API server's own request (system:apiserver): replayed in
	// every copy; the others (the scenario's people) only in an attack copy.
	background bool
	auditID    string
	received   time.Time
	stage      time.Time
	// receivedRaw and stageRaw are the timestamps as the line spells them.
	receivedRaw, stageRaw string
}

// recording is the recorded log: its lines and what a copy varies in them.
type recording struct {
	lines []line
	// users are the people's user names (varied per copy), names the objects they
	// act on (suffixed per copy), namespaces theirs (varied per copy).
	users, names, namespaces []string
	start, end               time.Time
	sum                      string // of the recording's bytes, for the cache
}

const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

func loadRecording(path string) (*recording, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	rec := &recording{sum: hex.EncodeToString(sum[:8])}
	users, names, nss := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for i, raw := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		var ev struct {
			AuditID string `json:"auditID"`
			User    struct {
				Username string `json:"username"`
			} `json:"user"`
			ImpersonatedUser *struct {
				Username string `json:"username"`
			} `json:"impersonatedUser"`
			ObjectRef *struct {
				Namespace string `json:"namespace"`
				Name      string `json:"name"`
			} `json:"objectRef"`
			RequestReceivedTimestamp time.Time `json:"requestReceivedTimestamp"`
			StageTimestamp           time.Time `json:"stageTimestamp"`
		}
		if err := json.Unmarshal([]byte(raw), &ev); err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, i+1, err)
		}
		l := line{raw: raw, auditID: ev.AuditID, received: ev.RequestReceivedTimestamp, stage: ev.StageTimestamp,
			background: ev.User.Username == "system:apiserver"}
		l.receivedRaw = quotedField(raw, "requestReceivedTimestamp")
		l.stageRaw = quotedField(raw, "stageTimestamp")
		if l.auditID == "" || l.receivedRaw == "" || l.stageRaw == "" {
			return nil, fmt.Errorf("%s:%d: an event without auditID or timestamps", path, i+1)
		}
		if !l.background {
			for _, u := range []string{ev.User.Username, impersonated(ev.ImpersonatedUser)} {
				if u != "" && !strings.HasPrefix(u, "system:") {
					users[u] = true
				}
			}
			if o := ev.ObjectRef; o != nil {
				if len(o.Name) >= 3 && !strings.ContainsAny(o.Name, ":/") {
					names[o.Name] = true
				}
				if o.Namespace != "" && !strings.HasPrefix(o.Namespace, "kube-") && o.Namespace != "default" {
					nss[o.Namespace] = true
				}
			}
		}
		if rec.start.IsZero() || l.received.Before(rec.start) {
			rec.start = l.received
		}
		if l.stage.After(rec.end) {
			rec.end = l.stage
		}
		rec.lines = append(rec.lines, l)
	}
	if len(rec.lines) == 0 {
		return nil, fmt.Errorf("%s: no events", path)
	}
	rec.users, rec.names, rec.namespaces = keys(users), keys(names), keys(nss)
	return rec, nil
}

func impersonated(u *struct {
	Username string `json:"username"`
}) string {
	if u == nil {
		return ""
	}
	return u.Username
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// quotedField is the string value of the first "name":"value" in raw.
func quotedField(raw, name string) string {
	k := `"` + name + `":"`
	i := strings.Index(raw, k)
	if i < 0 {
		return ""
	}
	rest := raw[i+len(k):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return rest[:j]
}

// genParams decide a generated log.
type genParams struct {
	Seed uint64 `json:"seed"`
	// AttackEvery: one copy in AttackEvery replays the whole scenario (0: only the
	// first copy); the others	// only the API server's own requests.
	AttackEvery int `json:"attackEvery"`
	// Users and Namespaces: how many distinct people and namespaces the copies
	// draw from.
	Users      int    `json:"users"`
	Namespaces int    `json:"namespaces"`
	Recording  string `json:"recording"`
}

// generated is one generated log.
type generated struct {
	Path   string `json:"-"`
	Bytes  int64  `json:"bytes"`
	Events int64  `json:"events"`
	genParams
}

// generate writes logs of the given sizes (bytes, ascending) into dir by
// replaying rec copy after copy: each copy gets fresh audit IDs (the two stages of
// one request keep sharing theirs), timestamps moved past the previous copy's, and
// in an attack copy people, namespaces and object names drawn from the seed. The
// smaller logs are prefixes of the largest, written in the same pass. A log whose
// description (size.json) matches is reused.
func generate(dir string, rec *recording, p genParams, sizes []int64, logf func(string, ...any)) ([]generated, error) {
	out := make([]generated, len(sizes))
	missing := false
	for i, size := range sizes {
		out[i] = generated{Path: logPath(dir, size, p), genParams: p}
		var cached generated
		meta, err := os.ReadFile(out[i].Path + ".json")
		fi, serr := os.Stat(out[i].Path)
		if err == nil && serr == nil && json.Unmarshal(meta, &cached) == nil && cached.genParams == p && cached.Bytes == fi.Size() && cached.Bytes >= size {
			cached.Path = out[i].Path
			out[i] = cached
			logf("%s: cached (%d events)", out[i].Path, cached.Events)
			continue
		}
		missing = true
	}
	if !missing {
		return out, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := enoughSpace(dir, sizes[len(sizes)-1]+sizes[len(sizes)-1]/10); err != nil {
		return nil, err
	}
	logf("generating %s of audit events into %s (once) ...", sizeName(sizes[len(sizes)-1]), dir)
	start := time.Now()
	files := make([]*os.File, len(sizes))
	ws := make([]io.Writer, len(sizes))
	bws := make([]*bufio.Writer, len(sizes))
	for i := range sizes {
		f, err := os.Create(out[i].Path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		files[i], bws[i] = f, bufio.NewWriterSize(f, 1<<20)
		ws[i] = bws[i]
	}
	counts, err := replayInto(rec, p, sizes, ws)
	if err != nil {
		return nil, err
	}
	for i := range sizes {
		out[i].Bytes, out[i].Events = counts[i].Bytes, counts[i].Events
		if err := bws[i].Flush(); err != nil {
			return nil, err
		}
		if err := files[i].Close(); err != nil {
			return nil, err
		}
		meta, _ := json.Marshal(out[i])
		if err := os.WriteFile(out[i].Path+".json", meta, 0o644); err != nil {
			return nil, err
		}
	}
	logf("generated in %s", time.Since(start).Round(time.Second))
	return out, nil
}

// replayInto writes the generated log into ws, ws[i] getting its first sizes[i]
// bytes (rounded up to a whole event), and counts what each got.
func replayInto(rec *recording, p genParams, sizes []int64, ws []io.Writer) ([]generated, error) {
	out := make([]generated, len(sizes))
	rng := rand.New(rand.NewPCG(p.Seed, 0x5eed))
	span := rec.end.Sub(rec.start) + time.Second
	open := len(sizes) // logs still growing
	var buf bytes.Buffer
	for c := 0; open > 0; c++ {
		attack := c == 0 || p.AttackEvery > 0 && c%p.AttackEvery == 0
		shift := time.Duration(c) * span
		var pairs []string
		if attack {
			pairs = variation(rec, rng, p, c)
		}
		rep := strings.NewReplacer(pairs...)
		for _, l := range rec.lines {
			if !l.background && !attack {
				continue
			}
			buf.Reset()
			replay(&buf, l, c, shift, rep)
			for i := range sizes {
				if out[i].Bytes >= sizes[i] {
					continue
				}
				if _, err := ws[i].Write(buf.Bytes()); err != nil {
					return nil, err
				}
				out[i].Bytes += int64(buf.Len())
				out[i].Events++
				if out[i].Bytes >= sizes[i] {
					open--
				}
			}
		}
	}
	return out, nil
}

// variation is the replacements of one attack copy: each person becomes one of
// p.Users, the application's namespace one of p.Namespaces, and every object
// name gets the copy's number.
func variation(rec *recording, rng *rand.Rand, p genParams, c int) []string {
	var pairs []string
	quoted := func(old, new string) {
		pairs = append(pairs, `"`+old+`"`, `"`+new+`"`)
	}
	for _, u := range rec.users {
		quoted(u, u+"-"+strconv.Itoa(rng.IntN(p.Users)))
	}
	for _, ns := range rec.namespaces {
		n := ns + "-" + strconv.Itoa(rng.IntN(p.Namespaces))
		quoted(ns, n)
		pairs = append(pairs, "/namespaces/"+ns+"/", "/namespaces/"+n+"/", "/namespaces/"+ns+"?", "/namespaces/"+n+"?",
			":"+ns+":", ":"+n+":")
	}
	suffix := "-" + strconv.Itoa(c)
	for _, name := range rec.names {
		quoted(name, name+suffix)
		for _, end := range []string{"/", "?", `"`} {
			pairs = append(pairs, "/"+name+end, "/"+name+suffix+end)
		}
	}
	return pairs
}

// replay writes l as copy c: its audit ID's last 12 hex digits are the copy's
// number, its two timestamps moved by shift, the copy's replacements applied.
func replay(buf *bytes.Buffer, l line, c int, shift time.Duration, rep *strings.Replacer) {
	id := l.auditID
	if len(id) > 12 {
		id = id[:len(id)-12] + fmt.Sprintf("%012x", c)
	}
	s := l.raw
	s = strings.Replace(s, `"auditID":"`+l.auditID+`"`, `"auditID":"`+id+`"`, 1)
	s = strings.Replace(s, `"requestReceivedTimestamp":"`+l.receivedRaw+`"`, `"requestReceivedTimestamp":"`+l.received.Add(shift).UTC().Format(timeLayout)+`"`, 1)
	s = strings.Replace(s, `"stageTimestamp":"`+l.stageRaw+`"`, `"stageTimestamp":"`+l.stage.Add(shift).UTC().Format(timeLayout)+`"`, 1)
	buf.WriteString(rep.Replace(s))
	buf.WriteByte('\n')
}

// logPath is where generate writes the log of size.
func logPath(dir string, size int64, p genParams) string {
	return filepath.Join(dir, fmt.Sprintf("audit-%s-a%d.jsonl", sizeName(size), p.AttackEvery))
}

// sizeName: "100MiB", "1GiB", "4MiB".
func sizeName(n int64) string {
	if n >= 1<<30 && n%(1<<30) == 0 {
		return strconv.FormatInt(n>>30, 10) + "GiB"
	}
	return strconv.FormatInt((n+(1<<19))>>20, 10) + "MiB"
}

// parseSizes reads -sizes: "100MiB,1GiB" (MiB and GiB, also MB/GB for the same).
func parseSizes(s string) ([]int64, error) {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		mult := int64(0)
		for _, u := range []struct {
			suffix string
			mult   int64
		}{{"GiB", 1 << 30}, {"GB", 1 << 30}, {"MiB", 1 << 20}, {"MB", 1 << 20}} {
			if v, ok := strings.CutSuffix(f, u.suffix); ok {
				f, mult = v, u.mult
				break
			}
		}
		n, err := strconv.ParseInt(f, 10, 64)
		if mult == 0 || err != nil || n <= 0 || n*mult > 64<<30 {
			return nil, fmt.Errorf("-sizes: bad size %q (like 100MiB or 1GiB, at most 64GiB)", f)
		}
		out = append(out, n*mult)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	if len(out) == 0 {
		return nil, errors.New("-sizes: none")
	}
	return out, nil
}
