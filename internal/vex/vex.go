// Package vex reads OpenVEX documents (https://github.com/openvex/spec): statements
// that a product is, or is not, affected by a vulnerability. Palisade suppresses the
// findings a not_affected or fixed statement covers, showing its justification.
package vex
