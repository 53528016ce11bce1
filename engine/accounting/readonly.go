package accounting

// ReadOnly says whether s refuses every write with ErrReadOnly (the CSV
// backend), so that a front end or a service can say so before asking for
// anything else.
func ReadOnly(s Store) bool {
	ro, ok := s.(interface{ ReadOnly() bool })
	return ok && ro.ReadOnly()
}
