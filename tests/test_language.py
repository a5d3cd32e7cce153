"""The language a person wrote in (``mail.language``): short inquiries, as people write them,
in the seven languages the templates ship in. The detector runs in lingua's low-accuracy mode
(a seventh of the memory); these figures are why that is good enough."""

from __future__ import annotations

from inbox_agent.mail.language import language_of

LANGUAGES = ("en", "de", "fr", "es", "pt", "nl", "it")
SAMPLES = {
    "en": [
        "Hello, could you send me a quote for 40 blue widgets?",
        "Hi, do you deliver to Cape Town? I need two units by Friday.",
        "Good morning, what is the price of the large model?",
        "Can someone call me about the installation next week?",
        "I would like more information about your solar panels, thanks.",
        "Do you have the red one in stock?",
        "Please send me the catalogue and the price list.",
    ],
    "es": [
        "Hola, quisiera una cotización de 40 widgets azules para mi tienda.",
        "Buenos días, ¿hacen envíos a Sevilla?",
        "Necesito información sobre el modelo grande, gracias.",
        "¿Me pueden llamar mañana por la tarde?",
        "Quisiera saber el precio de la instalación.",
        "¿Tienen disponible el modelo rojo?",
        "Por favor envíenme el catálogo.",
    ],
    "pt": [
        "Olá, gostaria de um orçamento para 40 widgets azuis.",
        "Bom dia, vocês entregam em Lisboa?",
        "Preciso de informações sobre o modelo grande, obrigado.",
        "Podem me ligar amanhã à tarde?",
        "Gostaria de saber o preço da instalação.",
        "Vocês têm o modelo vermelho em estoque?",
        "Por favor, enviem o catálogo.",
    ],
    "fr": [
        "Bonjour, je voudrais un devis pour 40 widgets bleus.",
        "Livrez-vous à Lyon ?",
        "J'aimerais des informations sur le grand modèle, merci.",
        "Pouvez-vous m'appeler demain après-midi ?",
        "Quel est le prix de l'installation ?",
        "Avez-vous le modèle rouge en stock ?",
        "Merci de m'envoyer le catalogue.",
    ],
    "de": [
        "Guten Tag, ich hätte gern ein Angebot für 40 blaue Widgets.",
        "Liefern Sie auch nach München?",
        "Ich brauche Informationen zum großen Modell, danke.",
        "Können Sie mich morgen Nachmittag anrufen?",
        "Was kostet die Installation?",
        "Haben Sie das rote Modell auf Lager?",
        "Bitte schicken Sie mir den Katalog.",
    ],
    "nl": [
        "Goedemiddag, ik wil graag een offerte voor 40 blauwe widgets.",
        "Leveren jullie ook in Utrecht?",
        "Ik wil graag informatie over het grote model, bedankt.",
        "Kunnen jullie me morgenmiddag bellen?",
        "Wat kost de installatie?",
        "Hebben jullie het rode model op voorraad?",
        "Stuur me alstublieft de catalogus.",
    ],
    "it": [
        "Buongiorno, vorrei un preventivo per 40 widget blu.",
        "Consegnate anche a Milano?",
        "Vorrei informazioni sul modello grande, grazie.",
        "Potete chiamarmi domani pomeriggio?",
        "Quanto costa l'installazione?",
        "Avete il modello rosso disponibile?",
        "Per favore inviatemi il catalogo.",
    ],
}


def test_short_inquiries_are_told_apart() -> None:
    found = {(lang, text): language_of(text, LANGUAGES) for lang, texts in SAMPLES.items()
             for text in texts}  # fmt: skip
    right = [key for key, got in found.items() if got == key[0]]
    assert len(found) == 49 and len(right) >= 47, [k for k in found if k not in right]
    assert all(got in LANGUAGES for got in found.values())  # never a language not asked for


def test_too_little_text_or_one_language_says_nothing() -> None:
    assert language_of("Hola", LANGUAGES) == ""  # too few letters to say
    assert language_of("https://example.com/a-very-long-link-with-words", LANGUAGES) == ""
    assert language_of("Hola, quisiera una cotización de 40 widgets.", ("es",)) == ""
    assert language_of("Hola, quisiera una cotización de 40 widgets.", ("en", "de")) != "es"
