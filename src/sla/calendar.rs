//! Business-time arithmetic (see module docs once written).
