package mm

// Users returns mm_users: how many tasks share the MM.
func (mm *MM) Users() int32 { return mm.users.Load() }
