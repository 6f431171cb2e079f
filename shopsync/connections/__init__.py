"""Provider accounts a store connects with an API key (Stripe), and the calls made with it."""
