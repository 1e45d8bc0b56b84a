"""placeholder until LTI lands"""
