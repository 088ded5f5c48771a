package web

// PageNames lists the page templates, so the tests can check that each one is rendered.
func PageNames() []string {
	assets, err := loadStatic()
	if err != nil {
		panic(err)
	}
	pg, err := loadPages(assets)
	if err != nil {
		panic(err)
	}
	return pg.names()
}
