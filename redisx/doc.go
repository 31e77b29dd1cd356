// Package redisx makes go-redis v9 clients keep their connections, and
// makes their churn visible.
package redisx
