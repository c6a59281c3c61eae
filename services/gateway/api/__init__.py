"""The JSON API, one mixin per area; services/gateway/service.py assembles them."""
