//! Predictive lifetime value: buy-till-you-die models.
