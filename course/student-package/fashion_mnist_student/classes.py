"""The ten Fashion-MNIST classes, in label order, in each language the course is taught in."""

CLASS_NAMES = {
    "en": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
           "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    "zh": ["T恤/上衣", "裤子", "套头衫", "连衣裙", "外套",
           "凉鞋", "衬衫", "运动鞋", "包", "短靴"],
}

LANGUAGES = tuple(CLASS_NAMES)


def class_names(lang="en"):
    """Return a fresh list of the class names for ``lang`` ('en' or 'zh')."""
    try:
        return list(CLASS_NAMES[lang])
    except KeyError:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}") from None
