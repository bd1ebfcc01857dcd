"""The nightly steps, each one module, and the runner that orders and journals them."""
