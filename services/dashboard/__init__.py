"""The supervisors' dashboard: what a person opening the Mini App may see, and its pages'
figures, which are the digest's own."""
