package bot

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// gatewayReadBuffer is the receive buffer footnote asks the kernel for on
// the gateway's TCP connection (the kernel caps it at net.core.rmem_max).
// Events come in bursts: 1,000 interactions at once are about 1 MB. With
// the default buffer (128 KiB, grown by autotuning) such a burst filled
// the window while the handlers were busy, and the sender then waited for
// TCP's persist timer: reading stopped for about 200 ms in the middle of
// the burst, in half the runs of BenchmarkServersBurst, and every question
// behind it waited too (issue 16).
const gatewayReadBuffer = 4 << 20

// gatewayDialer is discordgo's default websocket dialer (the environment's
// proxy, a 45-second handshake) with gatewayReadBuffer set on the TCP
// connection it dials.
func gatewayDialer() *websocket.Dialer {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &websocket.Dialer{
		Proxy:            http.ProxyFromEnvironment,
		HandshakeTimeout: 45 * time.Second,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if tc, ok := c.(*net.TCPConn); ok {
				// Best effort: a smaller buffer still works, as before.
				_ = tc.SetReadBuffer(gatewayReadBuffer)
			}
			return c, nil
		},
	}
}
