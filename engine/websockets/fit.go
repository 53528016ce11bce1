package websockets

// Descriptors kept for everything but WebSockets: the database, Docker,
// plain HTTP requests, sign-in, the admin socket.
const reservedDescriptors = 1024

// FitTotal lowers total to what a descriptor limit of nofile can carry:
// each WebSocket holds two descriptors (the client's and the
// application's), besides reservedDescriptors for the rest. It returns
// total unchanged when nofile is 0 (unknown).
func FitTotal(total int, nofile uint64) int {
	if nofile == 0 {
		return total
	}
	if nofile <= reservedDescriptors+2 {
		return 1
	}
	if fit := (nofile - reservedDescriptors) / 2; uint64(total) > fit {
		return int(fit)
	}
	return total
}
