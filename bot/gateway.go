package bot

import (
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"
)

// gatewayReadBuffer is the receive buffer footnote asks the kernel for on
// the gateway's TCP connection. Events come in bursts: 1,000 interactions
// at once are about 1 MB. With the default buffer (128 KiB, grown by
// autotuning) such a burst filled the window while the handlers were
// busy, and the sender then waited for TCP's persist timer: reading
// stopped for about 200 ms in the middle of the burst, in half the runs of
// BenchmarkServersBurst, and every question behind it waited too (issue
// 16).
const gatewayReadBuffer = 4 << 20

// rmemMax is where Linux keeps its cap on the receive buffer a program may
// ask for (net.core.rmem_max).
const rmemMax = "/proc/sys/net/core/rmem_max"

// readBufferCap is the kernel's cap on SO_RCVBUF, and whether it is known
// (Linux only).
func readBufferCap() (int, bool) {
	b, err := os.ReadFile(rmemMax)
	if err != nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return n, err == nil
}

// gatewayBuffer reports whether the gateway's connection gets
// gatewayReadBuffer under a kernel cap of max (known: Linux). Setting
// SO_RCVBUF turns the kernel's autotuning off and is capped at
// net.core.rmem_max, which stock Linux sets at 208 KiB: below
// gatewayReadBuffer, a fixed buffer would be smaller than what autotuning
// reaches, so the connection is left to autotuning.
func gatewayBuffer(max int, known bool) bool {
	return !known || max >= gatewayReadBuffer
}

// gatewayDialer is gorilla/websocket's DefaultDialer, which discordgo uses
// (the environment's proxy, a 45-second limit on dialling and the
// handshake together), dialling TCP itself so that it can set the receive
// buffer when withBuffer.
func gatewayDialer(withBuffer bool) *websocket.Dialer {
	var d net.Dialer
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 45 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if tc, ok := c.(*net.TCPConn); ok && withBuffer {
				// Best effort: without it the connection reads as before.
				_ = tc.SetReadBuffer(gatewayReadBuffer)
			}
			return c, nil
		},
	}
}
