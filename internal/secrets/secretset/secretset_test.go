package secretset

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/crypto/ssh"
)

// TestWriteDeterministic: the same seed writes the same files and labels, another
// seed other values.
func TestWriteDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	la, err := Write(a, 1)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := Write(b, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(c, 2); err != nil {
		t.Fatal(err)
	}
	if len(la) != len(lb) {
		t.Fatalf("%d and %d labels from one seed", len(la), len(lb))
	}
	for i := range la {
		if la[i] != lb[i] {
			t.Fatalf("label %d differs: %+v, %+v", i, la[i], lb[i])
		}
	}
	same, other := read(t, a, "app/.env"), read(t, c, "app/.env")
	if !bytes.Equal(same, read(t, b, "app/.env")) || bytes.Equal(same, other) {
		t.Error("the seed does not decide the values")
	}
}

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestLabels: every location and format is labelled, each label points at a line of
// its file that exists, and positives and look-alikes are both present everywhere
// values sit under keys.
func TestLabels(t *testing.T) {
	dir := t.TempDir()
	labels, err := Write(dir, 7)
	if err != nil {
		t.Fatal(err)
	}
	locs := map[string][2]int{}
	for _, l := range labels {
		lines := strings.Split(string(read(t, dir, l.File)), "\n")
		if l.Line < 0 || l.Line+l.Span > len(lines) || l.Line > 0 && strings.TrimSpace(lines[l.Line-1]) == "" {
			t.Errorf("label %+v: no such line in %s", l, l.File)
		}
		n := locs[l.Location]
		if l.Positive() {
			n[0]++
		} else {
			n[1]++
		}
		locs[l.Location] = n
	}
	for _, loc := range []string{LocEnv, LocArgs, LocConfigMapValue, LocConfigMapFile, LocSecretData, LocSecretStringData,
		LocValues, LocDotenv, LocNpmrc, LocCompose, LocSOPS, LocHelmSecrets} {
		if n := locs[loc]; n[0] == 0 || n[1] == 0 {
			t.Errorf("location %s: %d positives, %d look-alikes", loc, n[0], n[1])
		}
	}
}

// TestChecksums: the CRC-32 tokens verify, and the wrong-checksum look-alike does not.
func TestChecksums(t *testing.T) {
	g := newGen(3)
	verify := func(tok string) bool {
		body, sum := tok[4:len(tok)-6], tok[len(tok)-6:]
		var n uint64
		for _, c := range []byte(sum) {
			n = n*62 + uint64(strings.IndexByte(base62, c))
		}
		return n == uint64(crc32.ChecksumIEEE([]byte(body)))
	}
	for _, v := range g.catalogue() {
		switch v.format {
		case "github-ghp", "github-gho", "github-ghs", "npm-token":
			if len(v.text) != 40 || !verify(v.text) {
				t.Errorf("%s: checksum does not verify", v.format)
			}
		case "github-bad-checksum":
			if verify(v.text) {
				t.Errorf("%s: checksum verifies", v.format)
			}
		case "google-api-key":
			if len(v.text) != 39 {
				t.Errorf("%s: %d characters", v.format, len(v.text))
			}
		case "pypi-token":
			if !strings.HasPrefix(v.text, "pypi-AgEIcHlwaS5vcmc") {
				t.Errorf("%s: not a pypi.org macaroon", v.format)
			}
		}
	}
}

// TestHistory: the repository has the commits asked for, on main, and every label's
// commit holds the labelled line, which the working tree no longer has.
func TestHistory(t *testing.T) {
	dir := t.TempDir()
	labels, err := WriteHistory(dir, 200, 5)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	head, err := repo.Head()
	if err != nil || head.Name().Short() != "main" {
		t.Fatalf("head %v, %v", head, err)
	}
	iter, err := repo.Log(&git.LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	_ = iter.ForEach(func(*object.Commit) error { n++; return nil })
	if n != 200 {
		t.Errorf("%d commits, want 200", n)
	}
	if len(labels) < 20 {
		t.Fatalf("%d labels", len(labels))
	}
	key := regexp.MustCompile(`^\s*([A-Z0-9_]+)[:=]`)
	for _, l := range labels {
		c, err := repo.CommitObject(plumbingHash(l.Commit))
		if err != nil {
			t.Fatal(err)
		}
		f, err := c.File(l.File)
		if err != nil {
			t.Fatal(err)
		}
		text, _ := f.Contents()
		lines := strings.Split(text, "\n")
		m := key.FindStringSubmatch(lines[l.Line-1])
		if m == nil {
			t.Fatalf("label %+v: line is not an entry", l)
		}
		if bytes.Contains(read(t, dir, l.File), []byte(lines[l.Line-1])) {
			t.Errorf("label %+v: still in the working tree", l)
		}
	}
}

func plumbingHash(s string) plumbing.Hash { return plumbing.NewHash(s) }

// TestFormats: the generated values parse as what they claim to be: private keys
// (PEM and OpenSSH), the service-account key file, signed JWTs, PyPI macaroons,
// Azure keys and docker auths.
func TestFormats(t *testing.T) {
	for _, v := range newGen(11).catalogue() {
		var err error
		switch v.format {
		case "pem-ec":
			b, _ := pem.Decode([]byte(v.text))
			_, err = x509.ParseECPrivateKey(b.Bytes)
		case "pem-pkcs8":
			b, _ := pem.Decode([]byte(v.text))
			_, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		case "openssh":
			_, err = ssh.ParseRawPrivateKey([]byte(v.text))
		case "gcp-service-account":
			var key struct {
				PrivateKey string `json:"private_key"`
			}
			if err = json.Unmarshal([]byte(v.text), &key); err == nil {
				b, _ := pem.Decode([]byte(key.PrivateKey))
				if b == nil {
					err = errors.New("no PEM private_key")
				} else {
					_, err = x509.ParsePKCS8PrivateKey(b.Bytes)
				}
			}
		case "jwt":
			parts := strings.Split(v.text, ".")
			var head struct{ Alg string }
			var sig []byte
			if len(parts) != 3 {
				err = errors.New("not three parts")
			} else if err = jsonB64(parts[0], &head); err == nil && head.Alg != "HS256" {
				err = errors.New("alg " + head.Alg)
			} else if err == nil {
				var claims map[string]any
				err = jsonB64(parts[1], &claims)
				if sig, _ = base64.RawURLEncoding.DecodeString(parts[2]); err == nil && len(sig) != 32 {
					err = errors.New("signature is not an HMAC-SHA256")
				}
			}
		case "pypi-token":
			var b []byte
			if b, err = base64.RawURLEncoding.DecodeString(strings.TrimPrefix(v.text, "pypi-")); err == nil &&
				(b[0] != 2 || !bytes.Contains(b, []byte("pypi.org")) || len(b) < 32+2) {
				err = errors.New("not a version-2 macaroon for pypi.org")
			}
		case "azure-storage":
			_, key, _ := strings.Cut(v.text, "AccountKey=")
			key, _, _ = strings.Cut(key, ";")
			var b []byte
			if b, err = base64.StdEncoding.DecodeString(key); err == nil && len(b) != 64 {
				err = errors.New("key is not 64 bytes")
			}
		case "docker-auth":
			var cfg struct {
				Auths map[string]struct{ Auth string }
			}
			if err = json.Unmarshal([]byte(v.text), &cfg); err == nil {
				for _, a := range cfg.Auths {
					var b []byte
					if b, err = base64.StdEncoding.DecodeString(a.Auth); err == nil && !bytes.Contains(b, []byte(":")) {
						err = errors.New("auth is not user:password")
					}
				}
			}
		}
		if err != nil {
			t.Errorf("%s: %v", v.format, err)
		}
	}
}

func jsonB64(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
