package version

import (
	"github.com/palisade-k8s/palisade/internal/software"
)

// apk-tools (2.14, src/version.c) token types, in the order a version may use them:
// digit{.digit}...{letter}{_suffix{number}}...{-r#}.
const (
	apkInvalid = iota - 1
	apkDigitOrZero
	apkDigit
	apkLetter
	apkSuffix
	apkSuffixNo
	apkRevisionNo
	apkEnd
)

var (
	apkPreSuffixes  = [...]string{"alpha", "beta", "pre", "rc"}
	apkPostSuffixes = [...]string{"cvs", "svn", "git", "hg", "p"}
)

// apkMaxDigits: apk-tools (2.14) rejects a run of this many digits or more.
const apkMaxDigits = 18

// apkNextToken is apk-tools' next_token: the type of the token at s[*i].
func apkNextToken(t int, s string, i *int) int {
	n := apkInvalid
	switch {
	case *i >= len(s) || s[*i] == 0:
		n = apkEnd
	case (t == apkDigit || t == apkDigitOrZero) && 'a' <= s[*i] && s[*i] <= 'z':
		n = apkLetter
	case t == apkLetter && isDigit(s[*i]):
		n = apkDigit
	case t == apkSuffix && isDigit(s[*i]):
		n = apkSuffixNo
	default:
		switch s[*i] {
		case '.':
			n = apkDigitOrZero
		case '_':
			n = apkSuffix
		case '-':
			if *i+1 < len(s) && s[*i+1] == 'r' {
				n = apkRevisionNo
				*i++
			}
		}
		*i++
	}
	if n < t && !(n == apkDigitOrZero && t == apkDigit || n == apkSuffix && t == apkSuffixNo || n == apkDigit && t == apkLetter) {
		n = apkInvalid
	}
	return n
}

// apkGetToken is apk-tools' get_token: the value of the token of type *t at s[*i],
// advancing *i and setting *t to the type of the next token.
func apkGetToken(t *int, s string, i *int) int64 {
	if *i >= len(s) {
		*t = apkEnd
		return 0
	}
	var v int64
	n := 0
	nt := apkInvalid
	rest := s[*i:]
	switch *t {
	case apkDigitOrZero:
		// Leading zeros: all but the last are counted (negated), so 1.01 < 1.1 and
		// 1.001 < 1.01; the last zero is read as a digit token.
		if rest[0] == '0' {
			for n+1 < len(rest) && rest[n+1] == '0' {
				n++
			}
			nt = apkDigit
			v = -int64(n)
			break
		}
		fallthrough
	case apkDigit, apkSuffixNo, apkRevisionNo:
		for n < len(rest) && isDigit(rest[n]) {
			if n < apkMaxDigits {
				v = v*10 + int64(rest[n]-'0')
			}
			n++
		}
		if n >= apkMaxDigits {
			*t = apkInvalid
			return -1
		}
	case apkLetter:
		v = int64(rest[0])
		n = 1
	case apkSuffix:
		found := false
		for k, suf := range apkPreSuffixes {
			if len(rest) >= len(suf) && rest[:len(suf)] == suf {
				v, n, found = int64(k-len(apkPreSuffixes)), len(suf), true
				break
			}
		}
		if !found {
			for k, suf := range apkPostSuffixes {
				if len(rest) >= len(suf) && rest[:len(suf)] == suf {
					v, n, found = int64(k), len(suf), true
					break
				}
			}
		}
		if !found {
			*t = apkInvalid
			return -1
		}
	default:
		*t = apkInvalid
		return -1
	}
	*i += n
	switch {
	case *i >= len(s):
		*t = apkEnd
	case nt != apkInvalid:
		*t = nt
	default:
		*t = apkNextToken(*t, s, i)
	}
	return v
}

// ValidAPK reports whether apk-tools accepts s (apk_version_validate).
func ValidAPK(s string) error {
	if err := checkLen(software.APK, s); err != nil {
		return err
	}
	t, i := apkDigit, 0
	for t != apkEnd && t != apkInvalid {
		apkGetToken(&t, s, &i)
	}
	if t != apkEnd {
		return invalid(software.APK, s, "not digit{.digit}...{letter}{_suffix{number}}...{-r#}")
	}
	return nil
}

// CompareAPK orders two Alpine package versions as apk-tools'
// apk_version_compare_blob does: numbers numerically (a component after '.' with
// leading zeros compares as a fraction), a letter after the numbers, suffixes
// _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p, then -rN.
func CompareAPK(a, b string) (int, error) {
	if err := ValidAPK(a); err != nil {
		return 0, err
	}
	if err := ValidAPK(b); err != nil {
		return 0, err
	}
	at, bt := apkDigit, apkDigit
	var av, bv int64
	i, j := 0, 0
	for at == bt && at != apkEnd && at != apkInvalid && av == bv {
		av = apkGetToken(&at, a, &i)
		bv = apkGetToken(&bt, b, &j)
	}
	if av < bv {
		return -1, nil
	}
	if av > bv {
		return 1, nil
	}
	if at == bt {
		return 0, nil
	}
	// Equal so far: the longer version is newer unless what follows is a
	// pre-release suffix.
	if tt, k := at, i; at == apkSuffix && apkGetToken(&tt, a, &k) < 0 {
		return -1, nil
	}
	if tt, k := bt, j; bt == apkSuffix && apkGetToken(&tt, b, &k) < 0 {
		return 1, nil
	}
	if at > bt {
		return -1, nil
	}
	if bt > at {
		return 1, nil
	}
	return 0, nil
}
