package redisx

func (m *monitor) registerMetrics() {}
