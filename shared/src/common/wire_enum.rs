//! Closed enums spelled on the wire.

/// Defines a closed enum with its wire spelling, a parser that names the member on failure,
/// and `as_str`.
#[macro_export]
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every value's wire spelling, in model order.
            pub const VALUES: &'static [&'static str] = &[$($wire),+];

            /// The value spelled `value` on the wire, if any.
            pub fn from_wire(value: &str) -> Option<Self> {
                match value {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }

            /// Parses `value` of request member `member`; an unknown value is a ValidationException.
            pub fn parse(member: &str, value: &str) -> Result<Self, $crate::error::ApiError> {
                Self::from_wire(value).ok_or_else(|| {
                    $crate::error::ApiError::validation(format!(
                        "{member}: '{value}' is not a valid value; valid values are {}",
                        Self::VALUES.join(", ")
                    ))
                })
            }

            /// The wire spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $wire),+
                }
            }
        }
    };
}
