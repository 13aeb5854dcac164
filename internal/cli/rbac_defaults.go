package cli

// The bootstrap RBAC policy registers itself with internal/rbac (which cannot import
// it); linking it here gives `palisade rbac --include-defaults` its data.
import _ "github.com/palisade-k8s/palisade/internal/rbac/bootstrap"
