//! The calls every wrapper exposes, over serde data. Each wrapper converts its native inputs to
//! these arguments and the results to native values; nothing else.
