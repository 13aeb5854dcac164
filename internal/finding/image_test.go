package finding

import "testing"

func TestImageLocationString(t *testing.T) {
	digest := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	layer := "sha256:" + "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
	for _, c := range []struct {
		loc  ImageLocation
		want string
	}{
		{ImageLocation{Ref: "registry.example.com/web:1", Digest: digest, LayerIndex: 2, Layer: layer, Path: "/root/.npmrc"},
			"registry.example.com/web:1@sha256:0123456789ab layer 2 (sha256:fedcba987654) /root/.npmrc"},
		{ImageLocation{Ref: "registry.example.com/web:1", Digest: digest, LayerIndex: -1, Field: "config.Env[1]"},
			"registry.example.com/web:1@sha256:0123456789ab config.Env[1]"},
		{ImageLocation{Ref: "web@" + digest, Digest: digest, LayerIndex: -1, Field: "config.User"}, "web@" + digest + " config.User"},
		{ImageLocation{Ref: "/srv/rootfs", LayerIndex: -1, Path: "/etc/os-release"}, "/srv/rootfs /etc/os-release"},
		{ImageLocation{Ref: "img", LayerIndex: -1}, "img"},
	} {
		if got := c.loc.String(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.loc, got, c.want)
		}
		if got := (Location{File: c.loc.Ref, Image: &c.loc}).String(); got != c.want {
			t.Errorf("Location.String %q, want %q", got, c.want)
		}
	}
}
