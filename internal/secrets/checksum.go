package secrets

import (
	"hash/crc32"
	"strings"
)

// base62Digits is the alphabet of the checksums of GitHub and npm tokens.
const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Base62CRC32 is the checksum GitHub (ghp_, gho_, ghu_, ghs_, ghr_) and npm (npm_)
// tokens end with: the CRC-32 (IEEE) of the 30 random characters after the prefix,
// in base 62 (digits, upper case, lower case), zero-padded to 6 characters. A token
// is prefix + body + Base62CRC32(body). Tests and generators of fake credentials use
// it to build tokens that pass the check.
//
// The scheme is not specified by GitHub or npm beyond "a 32-bit checksum" (GitHub's
// blog on its token formats, April 2021; npm's, September 2021); it is the one that
// secret scanners (Samsung's CredSweeper, Datadog's sensitive data scanner) verify,
// and it holds for tokens issued by both services.
func Base62CRC32(s string) string {
	n := crc32.ChecksumIEEE([]byte(s))
	var b [6]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = base62Digits[n%62]
		n /= 62
	}
	return string(b[:])
}

// checksummed reports whether a 36-character token body ends with the checksum of
// its first 30 characters.
func checksummed(body string) bool {
	return len(body) == 36 && Base62CRC32(body[:30]) == body[30:]
}

// checksumPrefixes are the prefixes of tokens whose 36-character body ends with
// Base62CRC32 of the rest.
var checksumPrefixes = []string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_", "npm_"}

// failsChecksum reports whether v has the exact shape of a checksummed token (a
// prefix above and 36 letters and digits) but not its checksum: the issuer never
// made it (a placeholder, a truncated or edited copy), so the keyword detectors do
// not report it as a random secret either.
func failsChecksum(v string) bool {
	for _, p := range checksumPrefixes {
		body, ok := strings.CutPrefix(v, p)
		if !ok || len(body) != 36 {
			continue
		}
		for i := 0; i < len(body); i++ {
			if c := body[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
				return false
			}
		}
		return !checksummed(body)
	}
	return false
}
