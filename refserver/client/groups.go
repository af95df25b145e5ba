package client

// initGroups wires the route groups that are added to the server after nodes and pools.
func (c *Client) initGroups() {}
