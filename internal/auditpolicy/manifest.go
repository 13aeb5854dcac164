package auditpolicy

import (
	"errors"
	"fmt"
	"strings"

	sigyaml "sigs.k8s.io/yaml"
)

// Input is what a file given to `palisade audit coverage` holds: an audit Policy, or
// a kube-apiserver static pod manifest that names one.
type Input struct {
	File string
	// Policy is set for an audit Policy.
	Policy *Policy
	// Manifest is set for a kube-apiserver manifest: the --audit-policy-file it
	// names ("" when it sets none, so the API server logs nothing).
	Manifest   bool
	PolicyFile string
}

// Read decodes a file of `palisade audit coverage`: an audit Policy, or a Pod whose
// container runs kube-apiserver. The manifest's policy file is named, never read (it
// is a path on the node, inside the container's mounts).
func Read(data []byte, file string) (*Input, error) {
	if len(data) > MaxPolicyBytes {
		return nil, &Error{File: file, Err: fmt.Errorf("%d bytes is larger than the limit of %d", len(data), MaxPolicyBytes)}
	}
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Containers []struct {
				Command []string `json:"command"`
				Args    []string `json:"args"`
			} `json:"containers"`
		} `json:"spec"`
	}
	if err := sigyaml.Unmarshal(data, &tm); err != nil {
		// Parse names the line.
		if _, perr := Parse(data, file); perr != nil {
			return nil, perr
		}
		return nil, &Error{File: file, Err: errors.New("not an audit Policy nor a kube-apiserver manifest")}
	}
	if tm.Kind == "Pod" && tm.APIVersion == "v1" {
		for _, c := range tm.Spec.Containers {
			argv := append(append([]string{}, c.Command...), c.Args...)
			if !runsAPIServer(argv) {
				continue
			}
			in := &Input{File: file, Manifest: true}
			for i, a := range argv {
				if v, ok := strings.CutPrefix(a, "--audit-policy-file="); ok {
					in.PolicyFile = v
				} else if a == "--audit-policy-file" && i+1 < len(argv) {
					in.PolicyFile = argv[i+1]
				}
			}
			return in, nil
		}
		return nil, &Error{File: file, Err: errors.New("a Pod that does not run kube-apiserver")}
	}
	p, err := Parse(data, file)
	if err != nil {
		return nil, err
	}
	return &Input{File: file, Policy: p}, nil
}

func runsAPIServer(argv []string) bool {
	for _, a := range argv {
		if a == "kube-apiserver" || strings.HasSuffix(a, "/kube-apiserver") {
			return true
		}
	}
	return false
}
