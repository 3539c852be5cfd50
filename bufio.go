package main

import (
	"bufio"
	"io"
)

func bufWriter(w io.Writer) *bufio.Writer { return bufio.NewWriterSize(w, 64<<10) }
