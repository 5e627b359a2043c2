package client

import (
	"bytes"
	"sync"
)

// bodyBuffer holds one response body while it is decoded.
type bodyBuffer = bytes.Buffer

// maxPooledBuffer keeps exceptionally large bodies from pinning memory in the pool.
const maxPooledBuffer = 4 << 20

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuffer() *bodyBuffer { return bufferPool.Get().(*bytes.Buffer) }

func putBuffer(b *bodyBuffer) {
	if b.Cap() > maxPooledBuffer {
		return
	}
	b.Reset()
	bufferPool.Put(b)
}
