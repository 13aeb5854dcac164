package images

import (
	"strings"
	"testing"
	"time"

	"github.com/palisade-k8s/palisade/internal/software"
)

func TestPasswdUID(t *testing.T) {
	const passwd = "# comment\nroot:x:0:0:root:/root:/bin/sh\nbroken line\nweird:x:notanumber:0::/:/bin/sh\napp:x:10001:10001::/home/app:/sbin/nologin\ntoor:x:0:0::/root:/bin/sh\n"
	for user, want := range map[string]struct {
		uid   int
		found bool
	}{
		"root": {0, true}, "app": {10001, true}, "toor": {0, true}, "weird": {0, false}, "nobody": {0, false}, "": {0, false},
	} {
		uid, found, err := passwdUID(strings.NewReader(passwd), user)
		if err != nil || uid != want.uid || found != want.found {
			t.Errorf("passwdUID(%q) = %d, %v, %v; want %d, %v", user, uid, found, err, want.uid, want.found)
		}
	}
	long := strings.Repeat("x:x:1:1\n", maxPasswdLines+1)
	if _, _, err := passwdUID(strings.NewReader(long), "nobody"); err == nil {
		t.Error("a passwd file over the line bound reads without an error")
	}
}

func FuzzPasswdUID(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001::/home/app:/sbin/nologin\n"), "app")
	f.Add([]byte(":::\n\x00:::"), "")
	f.Fuzz(func(t *testing.T, data []byte, user string) {
		uid, found, _ := passwdUID(strings.NewReader(string(data)), user)
		if found && uid < 0 {
			t.Fatalf("negative UID %d", uid)
		}
	})
}

func TestRootUser(t *testing.T) {
	for user, root := range map[string]bool{
		"": true, "root": true, "0": true, "0:0": true, "root:root": true, "0:1000": true, "root:staff": true,
		"1000": false, "1000:0": false, "app": false, "nobody:nogroup": false,
	} {
		if got := rootUser(user, nil) != ""; got != root {
			t.Errorf("rootUser(%q) = %v, want %v", user, got, root)
		}
	}
}

func FuzzFileSecrets(f *testing.F) {
	f.Add(".netrc", []byte("machine example.com login ci password s3cr3tPassw0rdXyz\n"))
	f.Add(".npmrc", []byte("//registry.npmjs.org/:_authToken=abc\n"))
	f.Add(".netrc", []byte("password"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		for _, m := range fileSecrets(name, data) {
			if !strings.HasSuffix(m.Masked, "****") || len(m.Masked) > 8 {
				t.Fatalf("match %+v not masked", m)
			}
		}
	})
}

func TestEOLTable(t *testing.T) {
	if _, err := time.Parse(time.DateOnly, eolTableDate); err != nil {
		t.Fatalf("eolTableDate: %v", err)
	}
	for id, rels := range eolDates {
		src, ok := eolSources[id]
		if !ok || !strings.HasPrefix(src.url, "https://") || src.name == "" || src.meaning == "" {
			t.Errorf("%s: no source", id)
		}
		for rel, date := range rels {
			if _, err := time.Parse(time.DateOnly, date); err != nil {
				t.Errorf("%s %s: %v", id, rel, err)
			}
		}
	}
}

func TestEOLRelease(t *testing.T) {
	for _, c := range []struct {
		d       software.Distro
		id, rel string
	}{
		{software.Distro{ID: "debian", VersionID: "12"}, "debian", "12"},
		{software.Distro{ID: "alpine", VersionID: "3.19.1"}, "alpine", "3.19"},
		{software.Distro{ID: "alpine", VersionID: "3.20"}, "alpine", "3.20"},
		{software.Distro{ID: "ubuntu", VersionID: "22.04"}, "ubuntu", "22.04"},
		{software.Distro{ID: "rhel", VersionID: "8.9"}, "rhel", "8"},
		{software.Distro{ID: "centos", VersionID: "8", PrettyName: "CentOS Stream 8"}, "centos", "stream-8"},
		{software.Distro{ID: "centos", VersionID: "7"}, "centos", "7"},
		{software.Distro{ID: "amzn", VersionID: "2023"}, "amzn", "2023"},
		{software.Distro{ID: "amzn", VersionID: "2018.03"}, "amzn", "2018.03"},
		{software.Distro{ID: "Fedora", VersionID: "40"}, "fedora", "40"},
	} {
		id, rel := eolRelease(&c.d)
		if id != c.id || rel != c.rel {
			t.Errorf("eolRelease(%+v) = %s %s, want %s %s", c.d, id, rel, c.id, c.rel)
		}
	}
}

func TestEOLPassed(t *testing.T) {
	end, _, ok := eolOf(&software.Distro{ID: "debian", VersionID: "10"})
	if !ok {
		t.Fatal("Debian 10 not in the table")
	}
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	if eolPassed(end, day("2024-06-30").Add(23*time.Hour)) {
		t.Error("the last day of support counts as past the end of life")
	}
	if !eolPassed(end, day("2024-07-01")) {
		t.Error("the day after the last day of support is not past the end of life")
	}
	if _, _, ok := eolOf(&software.Distro{ID: "wolfi", VersionID: "20230201"}); ok {
		t.Error("an unlisted distribution has an end of life")
	}
}

func BenchmarkPasswdUID(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 1000; i++ {
		sb.WriteString("user" + strings.Repeat("x", i%7) + ":x:1000:1000::/home/u:/bin/sh\n")
	}
	sb.WriteString("app:x:10001:10001::/home/app:/sbin/nologin\n")
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, found, _ := passwdUID(strings.NewReader(text), "app"); !found {
			b.Fatal("app not found")
		}
	}
}

func BenchmarkFileSecrets(b *testing.B) {
	text := []byte(strings.Repeat("machine host.example.com login ci password ${PASSWORD}\n", 200) +
		"[default]\naws_region = eu-west-1\nregistry=https://registry.npmjs.org/\n")
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		fileSecrets(".netrc", text)
	}
}
