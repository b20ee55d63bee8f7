"""Country profiles for the generator and the anonymiser (issue 14).

``load_profile("NP")`` reads ``np.toml``; ``build_pools(profile, seed)`` makes its value pools with
Faker once per seed. ``international`` (the default) keeps the hand-written, deliberately mixed
pools that exercise Unicode handling.
"""

from synthetic_data.profiles.model import (
    DEFAULT_PROFILE,
    Profile,
    ProfileError,
    load_profile,
    profile_codes,
)
from synthetic_data.profiles.pools import Pool, Pools, build_pools, fill_patterns

__all__ = [
    "DEFAULT_PROFILE",
    "Pool",
    "Pools",
    "Profile",
    "ProfileError",
    "build_pools",
    "fill_patterns",
    "load_profile",
    "profile_codes",
]
