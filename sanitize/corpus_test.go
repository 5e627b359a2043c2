package sanitize

// Realistic inputs shared by tests and benchmarks: what a log row's body and attributes look like.
const (
	realisticBody = `2026-11-25T14:01:58.123Z INFO checkout completed order_id=8f3a2c1e-77b4-4d2e-9a51-0c6f1e2d3b4a ` +
		`user_id=48213 amount=49.99 currency=EUR method=POST path=/api/checkout/confirm status=200 duration_ms=123 ` +
		`region=eu-west-1`
	realisticAttribute = "checkout-api-7d9f8b6c5-x2k4p"

	dirtyBody = "\x1b[31mERROR\x1b[0m payment failed: Authorization: Bearer sk_live_51Habcdefghij0123456789 " +
		"dial postgres://app:s3cr3t@db.internal:5432/pay user=\u202eevil\u202c key=AKIAIOSFODNN7EXAMPLE retry\r\n"
)
