package websockets

// Descriptors kept for everything but WebSockets (the database, Docker,
// plain HTTP requests, sign-in, the admin socket): reservedDescriptors,
// or a quarter of a lower limit.
const reservedDescriptors = 1024

// FitTotal lowers total to what a descriptor limit of nofile can carry:
// each WebSocket holds two descriptors (the client's and the
// application's), besides min(reservedDescriptors, nofile/4) for the
// rest; never below 1 (0 would be no cap). It returns total unchanged
// when nofile is 0 (unknown).
func FitTotal(total int, nofile uint64) int {
	if nofile == 0 {
		return total
	}
	reserve := min(reservedDescriptors, nofile/4)
	if fit := max((nofile-reserve)/2, 1); uint64(total) > fit {
		return int(fit)
	}
	return total
}
