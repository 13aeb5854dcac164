// Package all registers every cataloger of internal/software: import it for its
// side effects.
package all

// The catalogers' imports, one per package database or ecosystem.
import (
	_ "github.com/palisade-k8s/palisade/internal/software/apk"
	_ "github.com/palisade-k8s/palisade/internal/software/dotnet"
	_ "github.com/palisade-k8s/palisade/internal/software/dpkg"
	_ "github.com/palisade-k8s/palisade/internal/software/golang"
	_ "github.com/palisade-k8s/palisade/internal/software/java"
	_ "github.com/palisade-k8s/palisade/internal/software/npm"
	_ "github.com/palisade-k8s/palisade/internal/software/php"
	_ "github.com/palisade-k8s/palisade/internal/software/python"
	_ "github.com/palisade-k8s/palisade/internal/software/rpm"
	_ "github.com/palisade-k8s/palisade/internal/software/ruby"
	_ "github.com/palisade-k8s/palisade/internal/software/rust"
)
