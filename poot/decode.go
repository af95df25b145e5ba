package poot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxProofJSONBytes bounds the JSON body of one proof: a full 1 MiB output in base64 plus
// generous room for the other fields.
const MaxProofJSONBytes = 1<<20/3*4 + 4 + 16<<10

// BatchRequest is the body of a batch validation: `{"validations": [...]}`.
type BatchRequest struct {
	Validations []Proof `json:"validations"`
}

// DecodeProof strictly decodes one proof from untrusted JSON: exactly one object, no unknown
// fields, no duplicate keys, no nulls, strings where strings are expected, nothing after the
// object, at most MaxProofJSONBytes. The contents of the fields (base64, timestamp, nonce) are
// judged by Validate, which reports every failing field as a Reason.
func DecodeProof(data []byte) (Proof, error) {
	if len(data) > MaxProofJSONBytes {
		return Proof{}, &Error{Code: CodeBodyTooLarge, Message: fmt.Sprintf("proof body exceeds %d bytes", MaxProofJSONBytes)}
	}
	var p Proof
	if err := strictUnmarshal(data, &p); err != nil {
		return Proof{}, err
	}
	return p, nil
}

// DecodeBatchRequest strictly decodes a batch body (the rules of DecodeProof apply to every
// element) and refuses more than MaxBatch proofs. The caller bounds the body size.
func DecodeBatchRequest(data []byte) (BatchRequest, error) {
	var req BatchRequest
	if err := strictUnmarshal(data, &req); err != nil {
		return BatchRequest{}, err
	}
	if req.Validations == nil {
		return BatchRequest{}, &Error{Code: CodeValidation, Message: "validations is required",
			Details: map[string]any{"field": "validations", "reason": "required"}}
	}
	if len(req.Validations) > MaxBatch {
		return BatchRequest{}, &Error{Code: CodeValidation, Message: fmt.Sprintf("at most %d proofs per batch", MaxBatch),
			Details: map[string]any{"field": "validations", "reason": fmt.Sprintf("more than %d items", MaxBatch)}}
	}
	return req, nil
}

func malformed(msg string, err error) *Error {
	return &Error{Code: CodeMalformedBody, Message: msg, Err: err}
}

// strictUnmarshal checks the token structure (duplicates, nulls, trailing data) and then
// decodes with unknown fields refused.
func strictUnmarshal(data []byte, v any) error {
	if err := checkStructure(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return malformed("body does not match the proof schema", err)
	}
	return nil
}

type frame struct {
	object    bool
	expectKey bool
	keys      map[string]struct{}
}

// checkStructure walks the JSON tokens once: the top level must be an object, keys must be
// unique within each object, null is refused, and no data may follow the value.
func checkStructure(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*frame
	first := true
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if len(stack) != 0 || first {
				return malformed("body is not a JSON object", io.ErrUnexpectedEOF)
			}
			return nil
		}
		if err != nil {
			return malformed("body is not valid JSON", err)
		}
		if first {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return malformed("body must be a JSON object", nil)
			}
		} else if len(stack) == 0 {
			return malformed("unexpected data after the JSON object", nil)
		}
		first = false
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				markValueDone(stack)
				continue
			}
			key, _ := tok.(string)
			if _, dup := top.keys[key]; dup {
				return malformed(fmt.Sprintf("duplicate key %q", key), nil)
			}
			top.keys[key] = struct{}{}
			top.expectKey = false
			continue
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{object: true, expectKey: true, keys: map[string]struct{}{}})
			case '[':
				stack = append(stack, &frame{})
			case ']':
				stack = stack[:len(stack)-1]
				markValueDone(stack)
			}
		case nil:
			return malformed("null is not accepted", nil)
		default:
			markValueDone(stack)
		}
	}
}

// markValueDone records that the innermost object got the value of its current key.
func markValueDone(stack []*frame) {
	if len(stack) > 0 && stack[len(stack)-1].object {
		stack[len(stack)-1].expectKey = true
	}
}
