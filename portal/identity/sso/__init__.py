"""SSO by SAML through django-allauth's SAML provider (python3-saml underneath).

allauth does the SAML work; this package configures one ``SocialApp`` per IdP, intervenes
through the adapters (age check, replay refusal, local-login rules, error page), assigns the
role and licence at every login and hosts the development IdP.
"""
