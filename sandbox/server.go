package sandbox

import (
	"errors"
	"net"
	"net/http"
	"time"
)

// Server is a Sandbox served over real HTTP.
type Server struct {
	*Sandbox
	URL string // e.g. http://127.0.0.1:38123 (no trailing slash)

	httpServer *http.Server
	done       chan struct{}
}

// Start generates a sandbox and serves it on a free loopback port.
func Start(cfg Config) (*Server, error) { return Listen(cfg, "127.0.0.1:0") }

// Listen generates a sandbox and serves it on addr. It prints nothing:
// whoever starts it announces it.
func Listen(cfg Config, addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	sb := New(cfg)
	srv := &Server{
		Sandbox: sb,
		URL:     "http://" + dialable(ln.Addr()),
		httpServer: &http.Server{
			Handler:           sb,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(srv.done)
		if err := srv.httpServer.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			sb.logger.Error("sandbox server stopped", "err", err)
		}
	}()
	return srv, nil
}

// dialable turns a listener address into one a client can dial: an
// unspecified host (":8090", "0.0.0.0") becomes 127.0.0.1.
func dialable(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return addr.String()
	}
	if tcp.IP == nil || tcp.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", itoa(tcp.Port))
	}
	return tcp.String()
}

// Close stops serving at once, closing every connection (a sandbox has
// nothing worth draining, and tests should not wait on slow faults).
func (s *Server) Close() error {
	err := s.httpServer.Close()
	<-s.done
	return err
}
