package main

import (
	"strings"
	"testing"
)

func TestSummarise(t *testing.T) {
	in := `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:12: needs ../shared/eval (absent)\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"--- SKIP: TestA (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestA"}
{"Action":"output","Package":"q","Test":"TestB","Output":"    b_test.go:9: needs ../shared/eval (absent)\n"}
{"Action":"skip","Package":"q","Test":"TestB"}
{"Action":"pass","Package":"q","Test":"TestC"}
{"Action":"fail","Package":"q","Test":"TestD"}
{"Action":"pass","Package":"q"}
not json: a build error
`
	c, err := summarise(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if c.pass != 1 || c.fail != 1 || c.skip != 2 {
		t.Errorf("counts = %+v", c)
	}
	if got := c.reasons["needs ../shared/eval (absent)"]; len(got) != 2 {
		t.Errorf("reasons = %v", c.reasons)
	}
}
