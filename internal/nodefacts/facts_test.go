package nodefacts

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

const sample = `{"apiVersion":"palisade.dev/v1","kind":"NodeFacts","metadata":{"name":"worker-1"},"schemaVersion":1,"source":"host",
"components":[{"name":"kubelet","found":true,"how":"process","args":["--config=config.yaml"],"cwd":"/var/lib/kubelet",
"config":{"path":"/var/lib/kubelet/config.yaml","given":"config.yaml","content":"kind: KubeletConfiguration\n"}}],
"files":[{"path":"/etc/kubernetes/kubelet.conf","role":"kubelet-kubeconfig","exists":true,"type":"file","mode":"0600","uid":0,"gid":0}]}`

func TestDecode(t *testing.T) {
	f, err := Decode(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if f.Metadata.Name != "worker-1" || f.Component(Kubelet) == nil || len(f.FilesOf(RoleKubeletKubeconfig)) != 1 {
		t.Errorf("decoded %+v", f)
	}
	for name, doc := range map[string]string{
		"unknown field":  strings.Replace(sample, `"source":"host"`, `"source":"host","extra":1`, 1),
		"other version":  strings.Replace(sample, `"schemaVersion":1`, `"schemaVersion":2`, 1),
		"other kind":     strings.Replace(sample, `"kind":"NodeFacts"`, `"kind":"Pod"`, 1),
		"no node name":   strings.Replace(sample, `"name":"worker-1"`, `"name":""`, 1),
		"bad source":     strings.Replace(sample, `"source":"host"`, `"source":"guess"`, 1),
		"trailing data":  sample + "{}",
		"not json":       "kind: NodeFacts",
		"too large":      `{"notes":["` + strings.Repeat("x", MaxSize) + `"]}`,
		"wrong type":     strings.Replace(sample, `"found":true`, `"found":"yes"`, 1),
		"empty document": "",
	} {
		if _, err := Decode(strings.NewReader(doc)); err == nil {
			t.Errorf("%s: decoded, want an error", name)
		}
	}
}

// FuzzDecode: any input either is refused or decodes to facts that encode and
// decode again to the same facts.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"apiVersion":"palisade.dev/v1","kind":"NodeFacts","metadata":{"name":"n"},"schemaVersion":1,"source":"configz","configz":{"kubeletconfig":{}},"components":[],"files":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		facts, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var b bytes.Buffer
		if err := Encode(&b, facts); err != nil {
			t.Fatal(err)
		}
		again, err := Decode(&b)
		if err != nil {
			t.Fatalf("re-decoding what was encoded: %v\n%s", err, b.String())
		}
		if !reflect.DeepEqual(normal(facts), normal(again)) {
			t.Errorf("round trip changed the facts:\n%+v\n%+v", facts, again)
		}
	})
}

// normal compares facts whose raw configz may differ only in spacing.
func normal(f *Facts) Facts {
	c := *f
	c.Configz = nil
	return c
}
