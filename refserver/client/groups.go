package client

// initGroups wires the route groups added after nodes and pools.
func (c *Client) initGroups() {
	c.PoOT = &PoOTService{c: c}
	c.Resources = &ResourcesService{c: c}
	c.Payouts = &PayoutsService{c: c}
}
