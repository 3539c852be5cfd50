package corpus

import (
	"bufio"
	"io"
	"strings"

	"github.com/ledongthuc/pdf"
)

// pdfTokenKind is the kind of a token of a PDF content stream.
type pdfTokenKind int

const (
	tokEOF        pdfTokenKind = iota
	tokNumber                  // 12, -3.5
	tokName                    // /F1 (text without the slash)
	tokString                  // (literal) or <hex>, decoded to its bytes
	tokOp                      // an operator or keyword: Tj, BT, true
	tokArrayOpen               // [
	tokArrayClose              // ]
	tokDictOpen                // <<
	tokDictClose               // >>
	tokArray                   // an operand: the array just read (pdfContent.array)
)

type pdfToken struct {
	kind pdfTokenKind
	text string
}

// pdfLexer reads the tokens of a content stream or a CMap (PDF 32000-1,
// 7.2). It holds one token at a time, bounded by maxToken; a stream that
// fails to read (its budget, the deadline) ends with that error.
type pdfLexer struct {
	r        *bufio.Reader
	read     int64 // bytes read
	maxToken int
	buf      []byte
}

func newPDFLexer(r io.Reader) *pdfLexer {
	return &pdfLexer{r: bufio.NewReaderSize(r, 4096), maxToken: 1 << 20}
}

// errPDFToken ends a stream whose token is over its bound.
var errPDFToken = overBudget("a PDF content token is over 1 MiB")

func (l *pdfLexer) readByte() (byte, error) {
	c, err := l.r.ReadByte()
	if err == nil {
		l.read++
	}
	return c, err
}

func (l *pdfLexer) unreadByte() {
	if l.r.UnreadByte() == nil {
		l.read--
	}
}

func (l *pdfLexer) add(c byte) error {
	if len(l.buf) >= l.maxToken {
		return errPDFToken
	}
	l.buf = append(l.buf, c)
	return nil
}

// next is the next token; at the end of the stream it is tokEOF and a nil
// error.
func (l *pdfLexer) next() (pdfToken, error) {
	c, err := l.skipSpace()
	if err != nil {
		return eofOr(err)
	}
	switch c {
	case '[':
		return pdfToken{kind: tokArrayOpen}, nil
	case ']':
		return pdfToken{kind: tokArrayClose}, nil
	case '(':
		return l.literal()
	case '<':
		d, err := l.readByte()
		if err == nil && d == '<' {
			return pdfToken{kind: tokDictOpen}, nil
		}
		if err == nil {
			l.unreadByte()
		}
		return l.hex()
	case '>':
		if d, err := l.readByte(); err == nil && d != '>' {
			l.unreadByte()
		}
		return pdfToken{kind: tokDictClose}, nil
	case '/':
		return l.regular(tokName, 0)
	case ')', '{', '}':
		return pdfToken{kind: tokOp, text: string(c)}, nil
	}
	kind := tokOp
	if c == '+' || c == '-' || c == '.' || (c >= '0' && c <= '9') {
		kind = tokNumber
	}
	return l.regular(kind, c)
}

func eofOr(err error) (pdfToken, error) {
	if err == io.EOF {
		return pdfToken{kind: tokEOF}, nil
	}
	return pdfToken{}, err
}

// skipSpace reads past white space and comments to a token's first byte.
func (l *pdfLexer) skipSpace() (byte, error) {
	for {
		c, err := l.readByte()
		if err != nil {
			return 0, err
		}
		switch {
		case isPDFSpace(c):
		case c == '%':
			for c != '\n' && c != '\r' {
				if c, err = l.readByte(); err != nil {
					return 0, err
				}
			}
		default:
			return c, nil
		}
	}
}

// regular reads a name, number or operator: bytes up to white space or a
// delimiter, a name's #xx escapes decoded.
func (l *pdfLexer) regular(kind pdfTokenKind, first byte) (pdfToken, error) {
	l.buf = l.buf[:0]
	if first != 0 {
		l.buf = append(l.buf, first)
	}
	for {
		c, err := l.readByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return pdfToken{}, err
		}
		if !isPDFRegular(c) {
			l.unreadByte()
			break
		}
		if kind == tokName && c == '#' {
			if h, ok := l.hexByte(); ok {
				c = h
			}
		}
		if err := l.add(c); err != nil {
			return pdfToken{}, err
		}
	}
	return pdfToken{kind: kind, text: string(l.buf)}, nil
}

// hexByte reads the two hex digits of a name's #xx escape.
func (l *pdfLexer) hexByte() (byte, bool) {
	var v byte
	for range 2 {
		c, err := l.readByte()
		if err != nil {
			return 0, false
		}
		d, ok := unhexDigit(c)
		if !ok {
			l.unreadByte()
			return 0, false
		}
		v = v<<4 | d
	}
	return v, true
}

func unhexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// literal reads a (string) after its opening parenthesis: balanced
// parentheses kept, escapes decoded, an unknown escape read as its
// character (7.3.4.2).
func (l *pdfLexer) literal() (pdfToken, error) {
	l.buf = l.buf[:0]
	depth := 1
	for {
		c, err := l.readByte()
		if err == io.EOF {
			break
		}
		if err != nil {
			return pdfToken{}, err
		}
		switch c {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return pdfToken{kind: tokString, text: string(l.buf)}, nil
			}
		case '\\':
			if c, err = l.readByte(); err == io.EOF {
				continue
			} else if err != nil {
				return pdfToken{}, err
			}
			switch c {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'f':
				c = '\f'
			case '\r':
				if d, err := l.readByte(); err == nil && d != '\n' {
					l.unreadByte()
				}
				continue
			case '\n':
				continue
			case '0', '1', '2', '3', '4', '5', '6', '7':
				v := int(c - '0')
				for range 2 {
					d, err := l.readByte()
					if err != nil {
						break
					}
					if d < '0' || d > '7' {
						l.unreadByte()
						break
					}
					v = v*8 + int(d-'0')
				}
				c = byte(v)
			}
		}
		if err := l.add(c); err != nil {
			return pdfToken{}, err
		}
	}
	return pdfToken{kind: tokString, text: string(l.buf)}, nil
}

// hex reads a <hex string> after its opening bracket; white space is
// skipped and an odd last digit is followed by 0 (7.3.4.3).
func (l *pdfLexer) hex() (pdfToken, error) {
	l.buf = l.buf[:0]
	var v byte
	odd := false
	for {
		c, err := l.readByte()
		if err == io.EOF || (err == nil && c == '>') {
			break
		}
		if err != nil {
			return pdfToken{}, err
		}
		d, ok := unhexDigit(c)
		if !ok {
			continue
		}
		if odd {
			if err := l.add(v<<4 | d); err != nil {
				return pdfToken{}, err
			}
		} else {
			v = d
		}
		odd = !odd
	}
	if odd {
		if err := l.add(v << 4); err != nil {
			return pdfToken{}, err
		}
	}
	return pdfToken{kind: tokString, text: string(l.buf)}, nil
}

// skipInlineImage reads past an inline image after its BI operator: the
// dictionary up to ID, then the data up to an EI between white space.
func (l *pdfLexer) skipInlineImage() error {
	for {
		t, err := l.next()
		if err != nil || t.kind == tokEOF {
			return err
		}
		if t.kind == tokOp && t.text == "ID" {
			break
		}
	}
	// After ID: one white space byte, the data, then white space, EI and
	// white space or a delimiter (or the end).
	const (
		inData = iota
		afterSpace
		afterE
		afterEI
	)
	state := afterSpace
	for {
		c, err := l.readByte()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case state == afterEI && !isPDFRegular(c):
			l.unreadByte()
			return nil
		case isPDFSpace(c):
			state = afterSpace
		case state == afterSpace && c == 'E':
			state = afterE
		case state == afterE && c == 'I':
			state = afterEI
		default:
			state = inData
		}
	}
}

// pdfContent interprets a page's content streams for their text, as the
// PDF library's Page.GetPlainText does: a new line at each BT (a text
// object) and T*, the strings of Tj, ', " and TJ decoded with the font
// that Tf chose. Operands are bounded; text goes through the extractor's
// write, which bounds it.
type pdfContent struct {
	lex        *pdfLexer
	x          *pdfExtractor
	fonts      pdf.Value // the page's /Font resources
	encs       map[string]pdf.TextEncoding
	enc        pdf.TextEncoding
	operands   []pdfToken
	array      []string // strings of the last array read
	arrayBytes int64
	depth      int // array nesting
}

func (c *pdfContent) run() error {
	c.enc = nopEncoding{}
	for {
		t, err := c.lex.next()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokEOF:
			return nil
		case tokArrayOpen:
			if c.depth++; c.depth == 1 {
				c.array, c.arrayBytes = c.array[:0], 0
			}
		case tokArrayClose:
			if c.depth > 0 {
				if c.depth--; c.depth == 0 {
					c.push(pdfToken{kind: tokArray})
				}
			}
		case tokString:
			if c.depth == 0 {
				c.push(t)
				continue
			}
			c.array = append(c.array, t.text)
			if c.arrayBytes += int64(len(t.text)) + 16; c.arrayBytes > c.x.budget.MaxTextBytes {
				return overBudget("a PDF text array is over %s", mib(c.x.budget.MaxTextBytes))
			}
		case tokOp:
			c.depth = 0
			if err := c.op(t.text); err != nil {
				return err
			}
			c.operands = c.operands[:0]
		default:
			if c.depth == 0 {
				c.push(t)
			}
		}
	}
}

// push keeps an operand, and only the last maxPDFOperands of them.
func (c *pdfContent) push(t pdfToken) {
	if len(c.operands) == maxPDFOperands {
		n := copy(c.operands, c.operands[maxPDFOperands/2:])
		c.operands = c.operands[:n]
	}
	c.operands = append(c.operands, t)
}

// last is the last operand if it is of kind k.
func (c *pdfContent) last(k pdfTokenKind) (pdfToken, bool) {
	if n := len(c.operands); n > 0 && c.operands[n-1].kind == k {
		return c.operands[n-1], true
	}
	return pdfToken{}, false
}

func (c *pdfContent) op(op string) error {
	switch op {
	case "BT":
		return c.x.write("\n")
	case "T*":
		return c.show("\n")
	case "Tf":
		if n := len(c.operands); n >= 2 && c.operands[n-2].kind == tokName {
			name := c.operands[n-2].text
			if enc, ok := c.encs[name]; ok {
				c.enc = enc
				break
			}
			enc, err := c.x.encoding(c.fonts, name)
			if err != nil {
				return err
			}
			if c.encs == nil {
				c.encs = map[string]pdf.TextEncoding{}
			}
			c.enc, c.encs[name] = enc, enc
		}
	case "Tj", "'", "\"":
		if s, ok := c.last(tokString); ok {
			return c.show(s.text)
		}
	case "TJ":
		if _, ok := c.last(tokArray); ok {
			for _, s := range c.array {
				if err := c.show(s); err != nil {
					return err
				}
			}
		}
	case "BI":
		return c.lex.skipInlineImage()
	}
	return nil
}

// show adds a string's text, decoded with the current font as the library
// decodes it.
func (c *pdfContent) show(raw string) error {
	if err := c.x.m.check(); err != nil {
		return err
	}
	var sb strings.Builder
	for _, r := range c.enc.Decode(raw) {
		sb.WriteRune(r)
	}
	return c.x.write(sb.String())
}
