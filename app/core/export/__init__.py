"""One export run: plan, prepare, send over the wire or write files, one outcome per record;
and the demo account. The top of core: may import every other package of core."""
