"""The eight lists (八清单): their schema and the builders that fill them."""
