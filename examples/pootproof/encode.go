package main

import "encoding/base64"

// encode is the wire form of a proof's output: standard base64 with padding.
func encode(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
