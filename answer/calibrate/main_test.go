package main

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSolve(t *testing.T) {
	a := [][]float64{{2, 1, -1}, {-3, -1, 2}, {-2, 1, 2}}
	b := []float64{8, -11, -3}
	got := solve(a, b)
	want := []float64{2, 3, -1}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-9 {
			t.Fatalf("solve = %v, want %v", got, want)
		}
	}
}

// TestLogisticRecoversWeights draws labels from a known logistic model and
// checks the fit finds its coefficients.
func TestLogisticRecoversWeights(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	truth := []float64{2, -1, 0.5} // two features and an intercept
	var xs [][]float64
	var ys, ws []float64
	for range 20000 {
		x := []float64{r.NormFloat64(), r.NormFloat64(), 1}
		z := 0.0
		for i := range x {
			z += truth[i] * x[i]
		}
		y := 0.0
		if r.Float64() < 1/(1+math.Exp(-z)) {
			y = 1
		}
		xs, ys, ws = append(xs, x), append(ys, y), append(ws, 1.0/20000)
	}
	got := logistic(xs, ys, ws, 0, true)
	for i := range truth {
		if math.Abs(got[i]-truth[i]) > 0.1 {
			t.Errorf("coefficient %d = %.3f, want %.3f (±0.1)", i, got[i], truth[i])
		}
	}
}
