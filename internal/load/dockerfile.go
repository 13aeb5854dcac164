package load

import (
	"errors"

	"github.com/palisade-k8s/palisade/internal/dockerfile"
	"github.com/palisade-k8s/palisade/internal/finding"
	"github.com/palisade-k8s/palisade/internal/inventory"
)

// Dockerfiles (Dockerfile, Containerfile, *.Dockerfile, Dockerfile.*: see
// dockerfile.IsDockerfileName) are read by name in a walk and when named, with
// BuildKit's parser. Each becomes one inventory.Object: Ref palisade.dev/v1
// Dockerfile named by the file, Body {"stages": [...]} (see inventory.DockerfileKind),
// Lines "stages[i]" and "stages[i].instructions[j]". A Dockerfile that does not parse
// is an input error at its line. Rules of every kind do not see them.

// parseDockerfile parses a Dockerfile read whole.
func parseDockerfile(data []byte, base finding.Location, opts *Options) ([]*inventory.Object, []finding.InputError) {
	f, err := dockerfile.Parse(data)
	if err != nil {
		loc := base
		loc.Line = 1
		msg := err.Error()
		var de *dockerfile.Error
		if errors.As(err, &de) {
			if de.Line > 0 {
				loc.Line = de.Line
			}
			msg = de.Msg
		}
		return nil, []finding.InputError{{Location: loc, Message: "Dockerfile: " + msg}}
	}
	o := &inventory.Object{
		Ref:    finding.ObjectRef{APIVersion: inventory.ConfigFileAPIVersion, Kind: inventory.DockerfileKind, Name: base.File},
		Origin: base,
	}
	o.Origin.Line = 1
	if opts.Decode == nil || !opts.Decode(inventory.ConfigFileAPIVersion, inventory.DockerfileKind) {
		return []*inventory.Object{o}, nil
	}
	o.Body, o.Lines = dockerfileBody(f)
	return []*inventory.Object{o}, nil
}

// dockerfileBody is the body and line table of a parsed Dockerfile's object.
func dockerfileBody(f *dockerfile.File) (map[string]any, *inventory.Lines) {
	lines := inventory.NewLines(16)
	stagesID, _ := lines.Add(inventory.Root, "stages", -1, 1)
	stages := make([]any, 0, len(f.Stages))
	for i, s := range f.Stages {
		sid, _ := lines.Add(stagesID, "", i, s.Line)
		lines.Add(sid, "from", -1, s.Line)
		insID, _ := lines.Add(sid, "instructions", -1, s.Line)
		ins := make([]any, 0, len(s.Instructions))
		for j, in := range s.Instructions {
			lines.Add(insID, "", j, in.StartLine)
			ins = append(ins, map[string]any{
				"keyword":  in.Keyword,
				"value":    in.Original,
				"flags":    anyStrings(in.Flags),
				"args":     anyStrings(in.Args),
				"heredocs": anyStrings(in.Heredocs),
				"endLine":  int64(in.EndLine),
			})
		}
		stages = append(stages, map[string]any{
			"from":         s.From,
			"base":         s.Base,
			"name":         s.Name,
			"flags":        anyStrings(s.FromFlags),
			"instructions": ins,
		})
	}
	return map[string]any{"stages": stages}, lines
}

func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
